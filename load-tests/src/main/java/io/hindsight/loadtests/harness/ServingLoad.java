package io.hindsight.loadtests.harness;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Request-time lookups beside the streaming traffic, open loop: {@code POST /compensate} (batches of
 * {@link Settings#batch()} candidates of model {@code m0}) and {@code GET /rewrite}, each at {@link
 * Settings#rate()} requests per second. Latency counts from each request's intended start, so a
 * server that stalls is charged for the requests it held back. Not thread-safe: one run at a time.
 */
final class ServingLoad {
  /** Lookup requests per second of each kind, and candidates per compensation request. */
  record Settings(double rate, int batch) {}

  /** Requests in flight at most; one more is counted as not sent (the client is saturated). */
  private static final int MAX_IN_FLIGHT = 2_000;

  private static final int BODIES = 64;

  private final Settings settings;
  private final HttpClient http;
  private final ExecutorService executor;
  private final URI compensate;
  private final String rewrite;
  private final String[] bodies;
  private final Map<String, Recorder> latency = new LinkedHashMap<>();
  private final Map<String, Map<Integer, LongAdder>> statuses = new LinkedHashMap<>();
  private final Map<String, Map<String, LongAdder>> failures = new LinkedHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final LongAdder notSent = new LongAdder();
  private volatile boolean running;
  private Thread sender;

  ServingLoad(String hostPort, Settings settings, int dimension) {
    this.settings = settings;
    this.executor = Executors.newFixedThreadPool(2, daemon("serving-load"));
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(executor)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    this.compensate = URI.create("http://" + hostPort + "/compensate");
    this.rewrite = "http://" + hostPort + "/rewrite?utterance=";
    SplittableRandom random = new SplittableRandom(7);
    this.bodies = new String[BODIES];
    for (int b = 0; b < BODIES; b++) {
      StringBuilder body = new StringBuilder("{\"modelId\":\"m0\",\"modelVersion\":\"v1\",");
      body.append("\"candidates\":[");
      for (int c = 0; c < settings.batch(); c++) {
        body.append(c == 0 ? "" : ",").append("{\"score\":");
        body.append(String.format(Locale.ROOT, "%.4f", 0.05 + 0.9 * random.nextDouble()));
        body.append(",\"embedding\":[");
        for (int d = 0; d < dimension; d++) {
          body.append(d == 0 ? "" : ",");
          body.append(String.format(Locale.ROOT, "%.5f", random.nextGaussian()));
        }
        body.append("]}");
      }
      bodies[b] = body.append("]}").toString();
    }
    for (String kind : new String[] {"compensate", "rewrite"}) {
      latency.put(kind, new Recorder(3));
      statuses.put(kind, new ConcurrentHashMap<>());
      failures.put(kind, new ConcurrentHashMap<>());
    }
  }

  /** Starts sending; {@link #stop()} ends it and returns what was measured since. */
  void start() {
    latency.values().forEach(Recorder::reset);
    statuses.values().forEach(Map::clear);
    failures.values().forEach(Map::clear);
    running = true;
    sender = new Thread(this::send, "serving-load-sender");
    sender.setDaemon(true);
    sender.start();
  }

  private void send() {
    long intervalNanos = (long) (1e9 / (2 * settings.rate()));
    long next = System.nanoTime();
    for (long i = 0; running; i++) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      boolean isCompensate = (i & 1) == 0;
      HttpRequest request =
          isCompensate
              ? HttpRequest.newBuilder(compensate)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(bodies[(int) (i / 2 % BODIES)]))
                  .build()
              : HttpRequest.newBuilder(
                      URI.create(
                          rewrite
                              + URLEncoder.encode(
                                  "failing utterance " + (i / 2 % 40), StandardCharsets.UTF_8)))
                  .build();
      send(isCompensate ? "compensate" : "rewrite", request, next);
      next += intervalNanos;
    }
  }

  private void send(String kind, HttpRequest request, long intended) {
    if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
      inFlight.decrementAndGet();
      notSent.increment();
      return;
    }
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .whenComplete(
            (response, failure) -> {
              inFlight.decrementAndGet();
              latency.get(kind).recordValue(Math.max(1, (System.nanoTime() - intended) / 1_000));
              if (failure != null) {
                Throwable cause = failure.getCause() == null ? failure : failure.getCause();
                failures
                    .get(kind)
                    .computeIfAbsent(cause.getClass().getSimpleName(), c -> new LongAdder())
                    .increment();
              } else {
                statuses
                    .get(kind)
                    .computeIfAbsent(response.statusCode(), s -> new LongAdder())
                    .increment();
              }
            });
  }

  /** Stops sending, waits a little for answers in flight, and reports per endpoint. */
  Map<String, Object> stop() throws InterruptedException {
    running = false;
    sender.join();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      // Answers complete on the HTTP client's threads; a short, bounded poll until they are in.
      Thread.sleep(20);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("rate_per_endpoint", settings.rate());
    report.put("candidates_per_compensate", settings.batch());
    for (String kind : latency.keySet()) {
      Histogram h = latency.get(kind).getIntervalHistogram();
      Map<String, Object> endpoint = Report.percentilesMs(h);
      Map<String, Long> byStatus = new TreeMap<>();
      statuses.get(kind).forEach((status, n) -> byStatus.put(Integer.toString(status), n.sum()));
      endpoint.put("by_status", byStatus);
      Map<String, Long> failed = new TreeMap<>();
      failures.get(kind).forEach((name, n) -> failed.put(name, n.sum()));
      endpoint.put("failures", failed);
      report.put(kind, endpoint);
    }
    report.put("not_sent_client_saturated", notSent.sumThenReset());
    return report;
  }

  void close() {
    executor.shutdownNow();
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
