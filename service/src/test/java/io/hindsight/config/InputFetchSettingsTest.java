package io.hindsight.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.HindsightService;
import io.hindsight.rewrite.RewriteApp;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** What a stream thread's main consumer fetches with: Hindsight's batch unless the user says. */
class InputFetchSettingsTest {

  @Test
  void shouldBatchFetchesOfTheMainConsumerByDefault() {
    Map<String, ?> consumer = mainConsumer(Map.of());

    assertThat(consumer.get(ConsumerConfig.FETCH_MIN_BYTES_CONFIG)).isEqualTo(65536);
    assertThat(consumer.get(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG)).isEqualTo(20);
  }

  @Test
  void shouldTakeTheTypedKeys() {
    Map<String, ?> consumer =
        mainConsumer(
            Map.of(
                HindsightConfig.INPUT_FETCH_MIN_BYTES, "1",
                HindsightConfig.INPUT_FETCH_MAX_WAIT_MS, "500"));

    assertThat(consumer.get(ConsumerConfig.FETCH_MIN_BYTES_CONFIG)).isEqualTo(1);
    assertThat(consumer.get(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG)).isEqualTo(500);
  }

  @Test
  void shouldLetEveryKafkaFormOfTheSettingOverrideIt() {
    for (String prefix : new String[] {"kafka.", "kafka.consumer.", "kafka.main.consumer."}) {
      Map<String, ?> consumer =
          mainConsumer(
              Map.of(
                  prefix + ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "7",
                  prefix + ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "9"));

      assertThat(consumer.get(ConsumerConfig.FETCH_MIN_BYTES_CONFIG)).as(prefix).isEqualTo(7);
      assertThat(consumer.get(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG)).as(prefix).isEqualTo(9);
    }
  }

  /** The main consumer's settings as Kafka Streams resolves them from Hindsight's. */
  private static Map<String, ?> mainConsumer(Map<String, String> settings) {
    Map<String, String> values = new HashMap<>(settings);
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, "unused:9092");
    HindsightConfig config = HindsightConfig.of(values);
    Map<String, Object> props = HindsightService.streamsSettings(config, new RewriteApp(config));
    Map<String, Object> consumer =
        new StreamsConfig(props).getMainConsumerConfigs("group", "client", 0);
    // Streams passes its serdes' deserializers to the consumer itself.
    consumer.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    consumer.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return new ConsumerConfig(consumer).values();
  }
}
