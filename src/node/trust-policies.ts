// The trust policies that make each route's roles safe whatever epicac does: a role trusts the
// source role (or, for a later hop, the hop before) only with the Pod Identity session tags of the
// service accounts the route allows. Those tags are transitive, and set by EKS, not by a caller:
// neither a compromised epicac nor a tampered routes file can then cross namespaces.

import type { NodeRoute } from "./routes-file.ts";

interface Statement {
  Sid: string;
  Effect: "Allow";
  Principal: { AWS: string };
  Action: string[];
  Condition: { StringEquals: Record<string, string> };
}

export interface TrustPolicy {
  Version: "2012-10-17";
  Statement: Statement[];
}

/** One policy per role the routes assume, keyed by the role's ARN. */
export function trustPolicies(
  routes: ReadonlyMap<string, NodeRoute>,
  sourceRole: string,
  clusterArn: string,
): Record<string, TrustPolicy> {
  const policies: Record<string, TrustPolicy> = {};
  for (const route of routes.values()) {
    route.chain.assume.forEach((role, hop) => {
      const principal = hop === 0 ? sourceRole : route.chain.assume[hop - 1];
      const policy = policies[role] ??= { Version: "2012-10-17", Statement: [] };
      route.allow.forEach((allowed, index) => {
        const [namespace, serviceAccount] = allowed.split("/");
        const condition: Record<string, string> = {
          "aws:PrincipalTag/eks-cluster-arn": clusterArn,
          "aws:PrincipalTag/kubernetes-namespace": namespace,
        };
        if (serviceAccount !== "*") {
          condition["aws:PrincipalTag/kubernetes-service-account"] = serviceAccount;
        }
        const same = (s: Statement) =>
          s.Principal.AWS === principal &&
          JSON.stringify(s.Condition.StringEquals) === JSON.stringify(condition);
        if (policy.Statement.some(same)) return;
        policy.Statement.push({
          Sid: `${route.name}Hop${hop + 1}Allow${index + 1}`.replace(/[^A-Za-z0-9]/g, ""),
          Effect: "Allow",
          Principal: { AWS: principal },
          Action: ["sts:AssumeRole", "sts:TagSession"],
          Condition: { StringEquals: condition },
        });
      });
    });
  }
  return policies;
}
