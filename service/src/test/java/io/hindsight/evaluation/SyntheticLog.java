package io.hindsight.evaluation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hindsight.datasets.EventLogWriter;
import io.hindsight.simulation.DriftingWorld;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** A small mixed event log: a drifting recommender and reformulating users. */
final class SyntheticLog {
  private SyntheticLog() {}

  static void write(Path file, int predictions) throws IOException {
    long start = 1_600_000_000_000L;
    DriftingWorld world = new DriftingWorld(11, start, 50, 60_000, 20_000, "v1");
    SplittableRandom random = new SplittableRandom(5);
    try (EventLogWriter out = EventLogWriter.open(file)) {
      for (int i = 0; i < predictions; i++) {
        DriftingWorld.Event event = world.nextPrediction();
        ObjectNode prediction =
            (ObjectNode) io.hindsight.events.EventCodec.JSON.valueToTree(event.prediction());
        prediction.put("type", "prediction");
        out.write(prediction);
        for (var o = world.dueOutcome(); o != null; o = world.dueOutcome()) {
          ObjectNode outcome = (ObjectNode) io.hindsight.events.EventCodec.JSON.valueToTree(o);
          outcome.put("type", "outcome");
          out.write(outcome);
        }
        if (i % 10 == 0) {
          String user = "speaker-" + random.nextInt(40);
          boolean misheard = random.nextInt(3) == 0;
          long t = world.clock();
          out.write(turn(user, t, misheard ? "play maj and dragons" : "what is the weather"));
          if (misheard) {
            out.write(turn(user, t + 3_000, "play imagine dragons"));
          }
        }
      }
    }
  }

  private static ObjectNode turn(String user, long t, String utterance) {
    ObjectNode turn = EventLogWriter.newEvent("interaction");
    turn.put("userId", user);
    turn.put("timestamp", t);
    turn.put("utterance", utterance);
    return turn;
  }
}
