"""scripts/stack in Python: the whole local system on loopback (see the usage
block at the top of scripts/stack, the thin bash wrapper that runs
`python3 -m supervisor.stack`). Standard library only: `up` runs before the
venv exists.

    plan        the port plan and the component table
    context     the run directory's settings (stack.env, secrets.env), lock, messages
    tls         the gateway's self-signed certificate
    render      configuration files from deploy/local/*.tmpl
    gateway     HAProxy's server slots and Consul's view (status, scale, restart)
    components  start and stop one component with its readiness check
    prepare     tools, redis_exporter, the storefront build, fill, cluster creation
    commands    up, down, status, env, audit, logs, start, stop
    rotation    scale and restart-instance: out of rotation, drain, stop, start
    __main__    argument dispatch and usage"""
