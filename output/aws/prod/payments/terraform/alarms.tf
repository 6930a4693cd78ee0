# Extra Terraform for the payments cluster: treeform copies this file unchanged into the
# cluster's module as alarms.tf (the model has no field for it). It may use the module's
# own names, such as the control-plane log group.
resource "aws_cloudwatch_log_metric_filter" "unauthorized" {
  name           = "payments-unauthorized-api-calls"
  pattern        = "{ $.responseStatus.code = 401 || $.responseStatus.code = 403 }"
  log_group_name = aws_cloudwatch_log_group.eks.name

  metric_transformation {
    name      = "UnauthorizedApiCalls"
    namespace = "payments/eks"
    value     = "1"
  }
}
