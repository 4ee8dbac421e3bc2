package io.hindsight.broker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, broker and controller combined) inside this process,
 * listening on 127.0.0.1. Its log lives in the given directory and survives a restart; {@link
 * #close()} shuts it down cleanly and is idempotent. Not for production: one node, replication 1.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);
  private static final String HOST = "127.0.0.1";

  private final KafkaRaftServer server;
  private final int port;
  private boolean closed;

  private EmbeddedKafka(KafkaRaftServer server, int port) {
    this.server = server;
    this.port = port;
  }

  /**
   * Formats the directory if it is new and starts the broker.
   *
   * @param port the client port, or 0 for a free one
   */
  public static EmbeddedKafka start(Path directory, int port) {
    int[] free = freePorts(2);
    int clientPort = port == 0 ? free[0] : port;
    // Never the client port: two listeners on one port fail the broker's start.
    int controllerPort = free[0] != clientPort ? free[0] : free[1];
    try {
      Files.createDirectories(directory);
      Path logDir = directory.resolve("log").toAbsolutePath();
      Properties props = new Properties();
      props.put("process.roles", "broker,controller");
      props.put("node.id", "1");
      props.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
      props.put(
          "listeners",
          "PLAINTEXT://"
              + HOST
              + ":"
              + clientPort
              + ",CONTROLLER://"
              + HOST
              + ":"
              + controllerPort);
      props.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + clientPort);
      props.put("controller.listener.names", "CONTROLLER");
      props.put("inter.broker.listener.name", "PLAINTEXT");
      props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      props.put("log.dirs", logDir.toString());
      props.put("offsets.topic.replication.factor", "1");
      props.put("offsets.topic.num.partitions", "4");
      props.put("transaction.state.log.replication.factor", "1");
      props.put("transaction.state.log.min.isr", "1");
      props.put("transaction.state.log.num.partitions", "4");
      props.put("share.coordinator.state.topic.replication.factor", "1");
      props.put("share.coordinator.state.topic.min.isr", "1");
      props.put("group.initial.rebalance.delay.ms", "0");
      props.put("auto.create.topics.enable", "false");
      props.put("num.partitions", "1");
      props.put("message.max.bytes", Integer.toString(16 * 1024 * 1024));
      props.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
      Path configFile = directory.resolve("server.properties");
      try (Writer writer = Files.newBufferedWriter(configFile)) {
        props.store(writer, "Hindsight embedded broker");
      }
      if (!Files.exists(logDir.resolve("meta.properties"))) {
        format(configFile);
      }
      KafkaRaftServer server =
          new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      server.startup();
      log.info("Embedded Kafka broker on {}:{} (data {})", HOST, clientPort, directory);
      return new EmbeddedKafka(server, clientPort);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot prepare broker directory " + directory, e);
    }
  }

  private static void format(Path configFile) {
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    String[] args = {
      "format",
      "-t",
      Uuid.randomUuid().toString(),
      "-c",
      configFile.toString(),
      "--ignore-formatted"
    };
    int status = StorageTool.execute(args, new PrintStream(output, true, StandardCharsets.UTF_8));
    if (status != 0) {
      throw new IllegalStateException(
          "Formatting the broker's storage failed: " + output.toString(StandardCharsets.UTF_8));
    }
  }

  /**
   * {@code count} distinct ports that were free a moment ago on 127.0.0.1: all held open together
   * while they are picked, since a port just released may be handed out again at once.
   */
  static int[] freePorts(int count) {
    ServerSocket[] sockets = new ServerSocket[count];
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        sockets[i] = new ServerSocket(0, 1, InetAddress.getByName(HOST));
        ports[i] = sockets[i].getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("No free port on " + HOST, e);
    } finally {
      for (ServerSocket socket : sockets) {
        if (socket != null) {
          try {
            socket.close();
          } catch (IOException e) {
            // Closing a listening socket that was never used; nothing to recover.
          }
        }
      }
    }
  }

  public String bootstrapServers() {
    return HOST + ":" + port;
  }

  public int port() {
    return port;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.shutdown();
    server.awaitShutdown();
    log.info("Embedded Kafka broker on {}:{} stopped", HOST, port);
  }
}
