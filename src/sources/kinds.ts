// The sources there are, by name (--source, the module's `source`).

/** The sources of the pod's own credentials, in the order a run tries them. */
export const SOURCES = ["container", "web-identity"] as const;
/** container: EKS Pod Identity or ECS; web-identity: IRSA. */
export type SourceKind = typeof SOURCES[number];
