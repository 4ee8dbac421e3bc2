package io.hindsight.loadtests.harness;

import io.hindsight.broker.EmbeddedKafka;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The in-process broker in a JVM of its own: {@code BrokerMain DIRECTORY [PORT]} starts Hindsight's
 * embedded KRaft broker on PORT (default a free one), prints {@code broker: 127.0.0.1:PORT} and runs
 * until SIGTERM. The fault harness restarts it on the same directory and port, so that clients
 * find it again at the address they bootstrapped from.
 */
public final class BrokerMain {
  private BrokerMain() {}

  public static void main(String[] args) throws InterruptedException {
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    EmbeddedKafka broker = EmbeddedKafka.start(Path.of(args[0]), port);
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
