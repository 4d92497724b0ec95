// src/partitions.ts: a region's partition by its name's prefix, the longest that matches.

import { test } from "node:test";
import assert from "node:assert/strict";
import { isRegionName, partitionOf } from "../src/partitions.ts";

test("each partition's regions, and every other region name in aws", () => {
  const cases = [
    ["us-east-1", "aws"],
    ["eu-west-1", "aws"],
    ["cn-north-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
    ["us-iso-east-1", "aws-iso"],
    ["us-isob-east-1", "aws-iso-b"],
    ["us-isof-south-1", "aws-iso-f"],
    ["eu-isoe-west-1", "aws-iso-e"],
    ["eusc-de-east-1", "aws-eusc"],
  ];
  for (const [region, partition] of cases) {
    assert.ok(isRegionName(region), region);
    assert.equal(partitionOf(region), partition, region);
  }
});
