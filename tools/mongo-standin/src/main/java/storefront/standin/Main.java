package storefront.standin;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * The MongoDB stand-in of storefront's tests and local stack: mongo-java-server on a loopback
 * port, in memory or in an H2 MVStore file under --data-dir (data survives a restart).
 *
 * <p>Why mongo-java-server: it runs every command of a collection under one lock, so a
 * single-document update is atomic, as on real MongoDB (FerretDB v1 loses concurrent updates).
 *
 * <p>Runs in the foreground; SIGTERM or SIGINT close every client, flush the H2 store and exit 0,
 * so a supervisor can tell a clean stop from a crash.
 */
public final class Main {
  private static final String USAGE =
      "usage: mongo-standin --port PORT [--bind ADDR] [--data-dir DIR]\n"
          + "  --port PORT     TCP port to listen on (required; 0 picks a free one)\n"
          + "  --bind ADDR     address to listen on (default 127.0.0.1)\n"
          + "  --data-dir DIR  keep data in DIR/standin.mv.db (H2); default: in memory\n";

  private Main() {}

  record Options(int port, String bind, Path dataDir) {}

  public static void main(String[] args) {
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("mongo-standin: " + e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    System.exit(run(options, System.out));
  }

  static Options parse(String[] args) {
    Integer port = null;
    String bind = "127.0.0.1";
    Path dataDir = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        System.out.print(USAGE);
        System.exit(0);
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value for " + arg);
      }
      String value = args[++i];
      switch (arg) {
        case "--port" -> port = parsePort(value);
        case "--bind" -> bind = value;
        case "--data-dir" -> dataDir = Path.of(value);
        default -> throw new IllegalArgumentException("unknown option " + arg);
      }
    }
    if (port == null) {
      throw new IllegalArgumentException("--port is required");
    }
    return new Options(port, bind, dataDir);
  }

  private static int parsePort(String value) {
    try {
      int port = Integer.parseInt(value);
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException("--port must be 0..65535, got '" + value + "'");
  }

  private static MongoBackend openBackend(Path dataDir) throws IOException {
    if (dataDir == null) {
      return new MemoryBackend();
    }
    Files.createDirectories(dataDir);
    return new H2Backend(dataDir.resolve("standin.mv.db").toString());
  }

  static int run(Options options, PrintStream out) {
    MongoServer server;
    try {
      server = new MongoServer(openBackend(options.dataDir()));
      server.bind(options.bind(), options.port());
    } catch (Exception e) {
      System.err.println("mongo-standin: cannot start on " + options.bind() + ":" + options.port()
          + ": " + e.getMessage());
      return 1;
    }
    CountDownLatch stop = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), signal -> stop.countDown());
    Signal.handle(new Signal("INT"), signal -> stop.countDown());

    InetSocketAddress address = server.getLocalAddress();
    String backend = options.dataDir() == null ? "memory" : "h2 " + options.dataDir();
    out.printf("mongo-standin: listening on %s:%d (backend %s)%n",
        address.getHostString(), address.getPort(), backend);
    out.flush();
    try {
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // shutdownNow closes the clients first, then the backend (which commits the H2 store).
    server.shutdownNow();
    out.println("mongo-standin: stopped");
    out.flush();
    return 0;
  }
}
