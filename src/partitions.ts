// AWS partitions, in one place: the names role ARNs carry, and the region-name prefix each
// partition's regions start with (every region not matching another prefix is in "aws").

/** Every current partition, with the prefix of its regions' names. */
const PARTITION_REGIONS = [
  ["aws", ""],
  ["aws-cn", "cn-"],
  ["aws-us-gov", "us-gov-"],
  ["aws-iso", "us-iso-"],
  ["aws-iso-b", "us-isob-"],
  ["aws-iso-e", "eu-isoe-"],
  ["aws-iso-f", "us-isof-"],
  ["aws-eusc", "eusc-"],
] as const;

export type Partition = typeof PARTITION_REGIONS[number][0];

export const PARTITIONS: readonly Partition[] = PARTITION_REGIONS.map(([name]) => name);

// Every partition's form: us-east-1, cn-north-1, us-gov-west-1, us-isob-east-1, eusc-de-east-1.
const REGION = /^[a-z]{2,5}(-[a-z]+)+-\d{1,2}$/;

/** Whether `text` has the form of a region name. */
export function isRegionName(text: string): boolean {
  return REGION.test(text);
}

/** The partition a region belongs to, by its name (the longest matching prefix). */
export function partitionOf(region: string): Partition {
  let found: Partition = "aws";
  let longest = 0;
  for (const [name, prefix] of PARTITION_REGIONS) {
    if (prefix.length > longest && region.startsWith(prefix)) {
      [found, longest] = [name, prefix.length];
    }
  }
  return found;
}
