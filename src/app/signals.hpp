#pragma once

#include <csignal>

namespace storefront::app {

// The process-wide signal policy, set once at start-up before any thread or
// connection exists (main, and the tests whose code writes to sockets).
// SIGPIPE is ignored. Our own writers no longer need it: the blocking Redis
// client sends with MSG_NOSIGNAL and Boost.Asio adds that flag on Linux. The
// policy stays for the writers that are not ours to check, the MongoDB driver
// (and OpenSSL under it with TLS): one write without the flag to a connection
// the peer reset would kill the process instead of failing with EPIPE. A
// handler someone set on purpose (not SIG_DFL) is left alone.
void install_signal_policy();

// Blocks SIGTERM and SIGINT in the calling thread and returns that set for
// sigwait: signals are taken synchronously by the main thread; every thread
// started afterwards, including the database driver's, inherits the mask.
sigset_t block_shutdown_signals();

}  // namespace storefront::app
