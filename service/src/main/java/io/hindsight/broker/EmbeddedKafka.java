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
    int clientPort = port == 0 ? freePort() : port;
    int controllerPort = freePort();
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

  /** A port that was free a moment ago on 127.0.0.1. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("No free port on " + HOST, e);
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
