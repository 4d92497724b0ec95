output "pod_role_arn" {
  description = "The role of the Pod Identity association (the pod's own credentials)."
  value       = aws_iam_role.pod.arn
}

output "prod_role_arn" {
  value = aws_iam_role.prod.arn
}

output "audit_role_arn" {
  value = aws_iam_role.audit.arn
}

output "pod_identity_association_id" {
  value = aws_eks_pod_identity_association.app.association_id
}

# The AWS config for the ConfigMap (kubernetes/configmap-two-accounts.yaml, the --assume variant).
output "aws_config" {
  value = <<-EOT
    [profile prod]
    credential_process = /opt/epicac --assume ${aws_iam_role.prod.arn} --cache-dir /tmp/epicac

    [profile audit]
    credential_process = /opt/epicac --assume ${aws_iam_role.audit.arn} --external-id ${var.audit_external_id} --cache-dir /tmp/epicac
  EOT
}
