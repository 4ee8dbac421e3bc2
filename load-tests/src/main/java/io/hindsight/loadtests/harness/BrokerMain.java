package io.hindsight.loadtests.harness;

import io.hindsight.broker.EmbeddedKafka;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The in-process broker in a JVM of its own: {@code BrokerMain DIRECTORY} starts Hindsight's
 * embedded KRaft broker on a free port, prints {@code broker: 127.0.0.1:PORT} and runs until
 * SIGTERM.
 */
public final class BrokerMain {
  private BrokerMain() {}

  public static void main(String[] args) throws InterruptedException {
    EmbeddedKafka broker = EmbeddedKafka.start(Path.of(args[0]), 0);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  broker.close();
                  stopped.countDown();
                },
                "broker-shutdown"));
    System.out.println("broker: " + broker.bootstrapServers());
    System.out.flush();
    stopped.await();
  }
}
