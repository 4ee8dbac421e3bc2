package io.hindsight.config;

import io.hindsight.events.Compensation;
import io.hindsight.events.EventCodec;
import io.hindsight.events.EventSerdes;
import io.hindsight.events.Interaction;
import io.hindsight.events.Outcome;
import io.hindsight.events.Prediction;
import io.hindsight.events.Rewrite;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;

/** Every topic Hindsight reads or writes, named once from configuration. */
public record Topics(
    Topic<String, Prediction> predictions,
    Topic<String, Outcome> outcomes,
    Topic<String, Compensation> compensations,
    Topic<String, Interaction> interactions,
    Topic<String, Rewrite> rewrites,
    Topic<byte[], byte[]> deadLetters,
    Topic<byte[], byte[]> labelledSamples,
    Topic<byte[], byte[]> reformulations) {

  public static Topics from(HindsightConfig config) {
    return withPrefix(
        config.topicPrefix(),
        new EventCodec(
            config.getInt(HindsightConfig.VALIDATION_MAX_RECORD_BYTES),
            config.getLong(HindsightConfig.VALIDATION_MAX_FUTURE_SKEW_MS),
            System::currentTimeMillis));
  }

  public static Topics withPrefix(String prefix, EventCodec codec) {
    return new Topics(
        new Topic<>(prefix + "predictions", Serdes.String(), EventSerdes.json(codec::prediction)),
        new Topic<>(prefix + "outcomes", Serdes.String(), EventSerdes.json(codec::outcome)),
        new Topic<>(
            prefix + "compensations", Serdes.String(), EventSerdes.jsonOut(Compensation.class)),
        new Topic<>(prefix + "interactions", Serdes.String(), EventSerdes.json(codec::interaction)),
        new Topic<>(prefix + "rewrites", Serdes.String(), EventSerdes.jsonOut(Rewrite.class)),
        new Topic<>(prefix + "dlq", Serdes.ByteArray(), Serdes.ByteArray()),
        new Topic<>(prefix + TopicNames.LABELLED_SAMPLES, Serdes.ByteArray(), Serdes.ByteArray()),
        new Topic<>(prefix + TopicNames.REFORMULATIONS, Serdes.ByteArray(), Serdes.ByteArray()));
  }

  /** Topics consumers of Hindsight see; the rest are Hindsight's own. */
  public List<Topic<?, ?>> all() {
    return List.of(
        predictions,
        outcomes,
        compensations,
        interactions,
        rewrites,
        deadLetters,
        labelledSamples,
        reformulations);
  }
}
