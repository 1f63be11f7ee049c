# Consul server agent for compose.yaml (service "consul").
# The command line adds: agent -server -bootstrap-expect=1 -ui -client=0.0.0.0
#                        -bind=172.28.0.70 -node=consul-server-1
# and the image's entrypoint adds -data-dir=/consul/data -config-dir=/consul/config.
# Why one server and not three: docs/deployment.md#consul-one-server.

datacenter           = "dc1"
log_level            = "INFO"
disable_update_check = true

# Registrations made through the agent API (storefront's PUT
# /v1/agent/service/register) are persisted in the data dir and restored when
# the agent restarts; checks keep running from here.
enable_local_script_checks = false

# ACLs, default deny: nothing on the network can register, deregister or read
# services without a token. The tokens (initial management, agent) come from
# deploy/consul/entrypoint.sh, the others from the consul-acl-init job; see
# docs/deployment.md#consul-acls. enable_token_persistence keeps a token set
# through the API across restarts.
acl {
  enabled                  = true
  default_policy           = "deny"
  down_policy              = "extend-cache"
  enable_token_persistence = true
}

ui_config {
  enabled = true
}

performance {
  raft_multiplier = 1
}

# Prometheus can read /v1/agent/metrics?format=prometheus.
telemetry {
  prometheus_retention_time = "60s"
  disable_hostname          = true
}
