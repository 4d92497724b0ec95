# The IAM roles and the EKS Pod Identity association behind the examples: the pod's own role in
# the cluster's account, and a role in each destination account that trusts it.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source = "hashicorp/aws"
      # aws_eks_pod_identity_association appeared in 5.x.
      version = ">= 5.40, < 7.0"
    }
  }
}

# The cluster's account: the default provider.
provider "aws" {
  region              = var.region
  allowed_account_ids = [var.cluster_account_id]
}

# Each destination account through a role Terraform may assume there. allowed_account_ids stops
# a wrong role ARN from creating the roles in another account.
provider "aws" {
  alias               = "prod"
  region              = var.region
  allowed_account_ids = [var.prod_account_id]
  assume_role {
    role_arn = var.prod_provider_role_arn
  }
}

provider "aws" {
  alias               = "audit"
  region              = var.region
  allowed_account_ids = [var.audit_account_id]
  assume_role {
    role_arn = var.audit_provider_role_arn
  }
}

# --- The pod's own role (cluster account) ---

# EKS Pod Identity assumes the role and tags the session (cluster, namespace, service account,
# pod); the conditions keep other associations in the account from using this role.
data "aws_iam_policy_document" "pod_trust" {
  statement {
    sid     = "EksPodIdentityForAppServiceAccount"
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/eks-cluster-name"
      values   = [var.cluster_name]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/kubernetes-namespace"
      values   = [var.namespace]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/kubernetes-service-account"
      values   = [var.service_account]
    }
  }
}

resource "aws_iam_role" "pod" {
  name               = var.pod_role_name
  assume_role_policy = data.aws_iam_policy_document.pod_trust.json
}

# sts:TagSession as well: Pod Identity's session tags are transitive, so every hop carries them.
data "aws_iam_policy_document" "pod_assume_destinations" {
  statement {
    sid       = "AssumeDestinationRoles"
    actions   = ["sts:AssumeRole", "sts:TagSession"]
    resources = [aws_iam_role.prod.arn, aws_iam_role.audit.arn]
  }
}

resource "aws_iam_role_policy" "pod_assume_destinations" {
  name   = "assume-destination-roles"
  role   = aws_iam_role.pod.id
  policy = data.aws_iam_policy_document.pod_assume_destinations.json
}

resource "aws_eks_pod_identity_association" "app" {
  cluster_name    = var.cluster_name
  namespace       = var.namespace
  service_account = var.service_account
  role_arn        = aws_iam_role.pod.arn
}

# --- Destination roles ---

data "aws_iam_policy_document" "prod_trust" {
  statement {
    sid     = "AppPodRole"
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.pod.arn]
    }
  }
}

resource "aws_iam_role" "prod" {
  provider           = aws.prod
  name               = var.prod_role_name
  assume_role_policy = data.aws_iam_policy_document.prod_trust.json
  # Chained sessions last at most one hour whatever this says; epicac refuses more.
  max_session_duration = 3600
}

data "aws_iam_policy_document" "audit_trust" {
  statement {
    sid     = "AppPodRoleWithExternalId"
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.pod.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.audit_external_id]
    }
  }
}

resource "aws_iam_role" "audit" {
  provider             = aws.audit
  name                 = var.audit_role_name
  assume_role_policy   = data.aws_iam_policy_document.audit_trust.json
  max_session_duration = 3600
}

# What the destination roles may do is up to each account: attach policies there, e.g.
# resource "aws_iam_role_policy_attachment" "audit_read" {
#   provider   = aws.audit
#   role       = aws_iam_role.audit.name
#   policy_arn = "arn:aws:iam::aws:policy/SecurityAudit"
# }
