package io.hindsight.compensation;

import io.hindsight.config.Topics;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Deterministic traffic for the compensation topology on a real broker: predictions spread over
 * models of different embedding dimensions, outcomes for about half of them, and one far-future
 * prediction per partition that pushes every task's stream time past every attribution window.
 *
 * @param dimensions one model per entry, {@code m0, m1, ...}, with that embedding dimension
 */
record CompensationWorkload(
    Topics topics, int predictions, int[] dimensions, long startMs, long spacingMs, long seed) {

  String modelOf(int i) {
    return "m" + (i % dimensions.length);
  }

  int dimensionOf(String model) {
    return dimensions[Integer.parseInt(model.substring(1))];
  }

  /** Predictions {@code from} (inclusive) to {@code to} (exclusive), with their outcomes. */
  List<ProducerRecord<byte[], byte[]>> records(int from, int to) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = from; i < to; i++) {
      SplittableRandom random = new SplittableRandom(seed * 1_000_003L + i);
      String id = "p" + i;
      String model = modelOf(i);
      long timestamp = startMs + i * spacingMs;
      Prediction prediction =
          new Prediction(
              id,
              model,
              "v1",
              timestamp,
              random.nextDouble(),
              embedding(random, dimensionOf(model)),
              null,
              "u" + (i % 1000),
              "i" + (i % 500));
      records.add(
          new ProducerRecord<>(
              topics.predictions().name(),
              null,
              timestamp,
              utf8(id),
              EventCodec.encode(prediction)));
      if (random.nextBoolean()) {
        long outcomeTime = timestamp + 1 + random.nextInt(5_000);
        records.add(
            new ProducerRecord<>(
                topics.outcomes().name(),
                null,
                outcomeTime,
                utf8(id),
                EventCodec.encode(
                    new Outcome(id, outcomeTime, random.nextDouble() < 0.3 ? 1 : 0))));
      }
    }
    return records;
  }

  /**
   * One prediction per partition, {@code afterMs} past the last one, so that every task's stream
   * time closes every window; these stay pending themselves.
   */
  List<ProducerRecord<byte[], byte[]>> streamTimeAdvance(int partitions, long afterMs) {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    long timestamp = startMs + predictions * spacingMs + afterMs;
    for (int partition = 0; partition < partitions; partition++) {
      String id = "advance-" + partition;
      Prediction prediction =
          new Prediction(
              id,
              "m0",
              "v1",
              timestamp,
              0.5,
              embedding(new SplittableRandom(partition), dimensions[0]),
              null,
              null,
              null);
      records.add(
          new ProducerRecord<>(
              topics.predictions().name(),
              partition,
              timestamp,
              utf8(id),
              EventCodec.encode(prediction)));
    }
    return records;
  }

  /** A query embedding for model {@code model}, for lookups. */
  float[] probe(String model, long probeSeed) {
    return embedding(new SplittableRandom(probeSeed), dimensionOf(model));
  }

  private static float[] embedding(SplittableRandom random, int dimension) {
    float[] embedding = new float[dimension];
    // A few clusters, so that similar keys share buckets and lookups find evidence.
    int cluster = random.nextInt(8);
    for (int k = 0; k < dimension; k++) {
      embedding[k] = (float) (((k + cluster) % 8 == 0 ? 2.0 : 0.0) + 0.5 * random.nextGaussian());
    }
    return embedding;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
