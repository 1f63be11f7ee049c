#pragma once

#include <csignal>

namespace storefront::app {

// The process-wide signal policy, set once at start-up before any thread or
// connection exists (main, and the tests whose code writes to sockets).
// SIGPIPE is ignored: hiredis writes with write(2), so a connection reset by
// Redis would otherwise kill the process; the failed write returns EPIPE and
// the client treats it as any other broken connection. A handler someone set
// on purpose (not SIG_DFL) is left alone.
void install_signal_policy();

// Blocks SIGTERM and SIGINT in the calling thread and returns that set for
// sigwait: signals are taken synchronously by the main thread; every thread
// started afterwards, including the database driver's, inherits the mask.
sigset_t block_shutdown_signals();

}  // namespace storefront::app
