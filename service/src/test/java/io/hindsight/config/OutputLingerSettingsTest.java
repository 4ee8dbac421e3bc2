package io.hindsight.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.hindsight.HindsightService;
import io.hindsight.rewrite.RewriteApp;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/**
 * How long a stream thread's producer waits to fill a batch: under at_least_once 5 ms unless the
 * user says; under exactly_once_v2 Streams' own, as the commit decides when results are seen.
 */
class OutputLingerSettingsTest {

  @Test
  void shouldLingerFiveMillisecondsByDefaultAtLeastOnce() {
    assertThat(producer(Map.of()).get(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo(5L);
  }

  @Test
  void shouldKeepStreamsLingerUnderExactlyOnce() {
    Map<String, ?> producer =
        producer(Map.of(HindsightConfig.PROCESSING_GUARANTEE, HindsightConfig.EXACTLY_ONCE_V2));

    assertThat(producer.get(ProducerConfig.LINGER_MS_CONFIG)).isEqualTo(100L);
  }

  @Test
  void shouldLetEveryKafkaFormOfTheSettingOverrideIt() {
    for (String prefix : new String[] {"kafka.", "kafka.producer."}) {
      Map<String, ?> producer = producer(Map.of(prefix + ProducerConfig.LINGER_MS_CONFIG, "40"));

      assertThat(producer.get(ProducerConfig.LINGER_MS_CONFIG)).as(prefix).isEqualTo(40L);
    }
  }

  /** The stream threads' producer settings as Kafka Streams resolves them from Hindsight's. */
  private static Map<String, ?> producer(Map<String, String> settings) {
    Map<String, String> values = new HashMap<>();
    values.put(HindsightConfig.PROCESSING_GUARANTEE, HindsightConfig.AT_LEAST_ONCE);
    values.putAll(settings);
    values.put(HindsightConfig.BOOTSTRAP_SERVERS, "unused:9092");
    HindsightConfig config = HindsightConfig.of(values);
    Map<String, Object> props = HindsightService.streamsSettings(config, new RewriteApp(config));
    Map<String, Object> producer = new StreamsConfig(props).getProducerConfigs("client");
    producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return new ProducerConfig(producer).values();
  }
}
