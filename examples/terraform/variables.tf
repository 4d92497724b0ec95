variable "region" {
  description = "Region of the EKS cluster (and of the STS endpoints the pod uses)."
  type        = string
  default     = "eu-west-1"
}

variable "cluster_account_id" {
  description = "Account of the EKS cluster, where the pod's own role lives."
  type        = string
  default     = "111111111111"
}

variable "cluster_name" {
  description = "Name of the EKS cluster; its Pod Identity agent add-on must be installed."
  type        = string
  default     = "example-cluster"
}

variable "namespace" {
  description = "Namespace of the service account (kubernetes/serviceaccount.yaml)."
  type        = string
  default     = "app"
}

variable "service_account" {
  description = "Service account the association gives the pod role to."
  type        = string
  default     = "app"
}

variable "pod_role_name" {
  description = "The pod's own role, in the cluster's account."
  type        = string
  default     = "app-pod"
}

variable "prod_account_id" {
  description = "First destination account."
  type        = string
  default     = "222222222222"
}

variable "prod_role_name" {
  description = "Role the pod assumes in the prod account."
  type        = string
  default     = "app"
}

variable "prod_provider_role_arn" {
  description = "Role Terraform assumes to manage IAM in the prod account."
  type        = string
  default     = "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"
}

variable "audit_account_id" {
  description = "Second destination account."
  type        = string
  default     = "333333333333"
}

variable "audit_role_name" {
  description = "Role the pod assumes in the audit account."
  type        = string
  default     = "audit-reader"
}

variable "audit_external_id" {
  description = "ExternalId the audit role requires (epicac --external-id, or external_id in the profile)."
  type        = string
  default     = "audit-7f3c"
}

variable "audit_provider_role_arn" {
  description = "Role Terraform assumes to manage IAM in the audit account."
  type        = string
  default     = "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"
}
