package io.hindsight.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The hand-written lookup reader against Jackson's: whatever body it accepts, Jackson reads to the
 * same fields, bit for bit; what it gives up on is left to Jackson.
 */
class LookupScannerTest {
  private final SplittableRandom random = new SplittableRandom(2026);

  @Test
  void shouldReadAServingBatchItselfAsJacksonReadsIt() {
    StringBuilder body = new StringBuilder("{\"modelId\": \"m\", \"modelVersion\": \"v1\", ");
    body.append("\"candidates\": [");
    for (int c = 0; c < 100; c++) {
      body.append(c == 0 ? "" : ", ").append("{\"score\": ").append(random.nextDouble());
      body.append(", \"embedding\": [");
      for (int k = 0; k < 64; k++) {
        body.append(k == 0 ? "" : ", ").append((float) random.nextGaussian(0, 0.1));
      }
      body.append("], \"userId\": \"u").append(c).append("\", \"itemId\": ").append(c).append('}');
    }
    byte[] bytes = body.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    EventCodec.ReadLookup fast = LookupScanner.read(bytes);
    assertThat(fast).as("read by hand").isNotNull();
    assertSame(fast, EventCodec.readLookup(bytes), body.toString());
  }

  @Test
  void shouldReadNumbersToTheDoublesJacksonParses() {
    List<String> numbers =
        new ArrayList<>(
            List.of(
                "0",
                "-0",
                "0.0",
                "-0.0",
                "1",
                "-1",
                "0.1",
                "1e22",
                "1e23",
                "1E-22",
                "1e-23",
                "123456789012345",
                "1234567890123456",
                "12345678901234567890",
                "2147483647",
                "2147483648",
                "-2147483649",
                "9007199254740993",
                "0.30000000000000004",
                "4.9e-324",
                "1.7976931348623157e308",
                "1e400",
                "1e-400",
                "2.2250738585072011e-308",
                "0.000001",
                "100000000000000000000000",
                "1.5e+3",
                "-7.883593e-05"));
    for (int n = 0; n < 3_000; n++) {
      numbers.add(randomNumber());
    }
    for (String number : numbers) {
      String body =
          "{\"modelId\":\"m\",\"modelVersion\":\"v\",\"score\":"
              + number
              + ",\"timestamp\":"
              + number
              + ",\"embedding\":["
              + number
              + "],\"features\":{\"a\":"
              + number
              + "}}";
      compare(body);
    }
  }

  @Test
  void shouldAcceptOnlyWhatJacksonReadsTheSame() {
    int accepted = 0;
    int mutatedAccepted = 0;
    int mutatedLeft = 0;
    for (int n = 0; n < 5_000; n++) {
      String body = randomBody();
      accepted += compare(body) ? 1 : 0;
      // Broken or unusual variants: one byte removed, replaced or added.
      StringBuilder mutated = new StringBuilder(body);
      int at = random.nextInt(mutated.length());
      switch (random.nextInt(3)) {
        case 0 -> mutated.deleteCharAt(at);
        case 1 -> mutated.setCharAt(at, "{}[],:\"\\ -.e0n1tx\u00e9\t".charAt(random.nextInt(19)));
        default -> mutated.insert(at, "{}[],:\"\\ -.e0n1tx\u00e9\t".charAt(random.nextInt(19)));
      }
      if (compare(mutated.toString())) {
        mutatedAccepted++;
      } else {
        mutatedLeft++;
      }
    }
    assertThat(accepted).as("random bodies read by hand").isGreaterThan(1_000);
    assertThat(mutatedAccepted).as("variants read by hand").isPositive();
    assertThat(mutatedLeft).as("variants left to Jackson").isGreaterThan(1_000);
  }

  /** Whether the scanner read the body itself. */
  private boolean compare(String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    EventCodec.ReadLookup fast = LookupScanner.read(bytes);
    if (fast == null) {
      return false;
    }
    EventCodec.ReadLookup slow;
    try {
      slow = EventCodec.readLookup(bytes);
    } catch (InvalidEventException e) {
      fail("read by hand, rejected by Jackson (" + e.getMessage() + "): " + body);
      return false;
    }
    assertSame(fast, slow, body);
    return true;
  }

  private static void assertSame(EventCodec.ReadLookup fast, EventCodec.ReadLookup slow, String b) {
    assertThat(fast.hasCandidates).as(b).isEqualTo(slow.hasCandidates);
    assertSame(fast.top, slow.top, b);
    if (slow.candidates == null) {
      assertThat(fast.candidates).as(b).isNull();
      return;
    }
    assertThat(fast.candidates).as(b).hasSameSizeAs(slow.candidates);
    for (int i = 0; i < slow.candidates.size(); i++) {
      if (slow.candidates.get(i) == null) {
        assertThat(fast.candidates.get(i)).as(b).isNull();
      } else {
        assertSame(fast.candidates.get(i), slow.candidates.get(i), b);
      }
    }
  }

  private static void assertSame(
      EventCodec.RawPrediction fast, EventCodec.RawPrediction slow, String body) {
    assertThat(slow.badEmbedding).as("Jackson found a bad embedding in %s", body).isNull();
    assertThat(slow.badFeatures).as("Jackson found bad features in %s", body).isNull();
    // Arrays.equals and Double.equals compare bits: -0.0 is not 0.0.
    assertThat(Arrays.equals(fast.embedding, slow.embedding))
        .as(
            "embedding %s vs %s in %s",
            Arrays.toString(fast.embedding), Arrays.toString(slow.embedding), body)
        .isTrue();
    assertThat(fast.features).as(body).isEqualTo(slow.features);
    assertThat(fast.scalars).as(body).isEqualTo(slow.scalars);
    for (String key : slow.scalars.keySet()) {
      assertThat(fast.scalars.get(key))
          .as(body)
          .isExactlyInstanceOf(slow.scalars.get(key).getClass());
    }
  }

  private String randomNumber() {
    return switch (random.nextInt(6)) {
      case 0 -> Double.toString(random.nextDouble() * Math.pow(10, random.nextInt(-30, 30)));
      case 1 -> Float.toString((float) random.nextGaussian());
      case 2 -> Long.toString(random.nextLong());
      case 3 -> Integer.toString(random.nextInt(-1000, 1000));
      case 4 -> {
        StringBuilder s = new StringBuilder(random.nextBoolean() ? "-" : "");
        s.append(random.nextInt(1, 10));
        for (int d = random.nextInt(25); d > 0; d--) {
          s.append(random.nextInt(10));
        }
        if (random.nextBoolean()) {
          s.append('.').append(random.nextInt(10));
          for (int d = random.nextInt(20); d > 0; d--) {
            s.append(random.nextInt(10));
          }
        }
        if (random.nextBoolean()) {
          s.append(random.nextBoolean() ? 'e' : 'E').append(random.nextBoolean() ? "-" : "+");
          s.append(random.nextInt(0, 330));
        }
        yield s.toString();
      }
      default -> "0.0" + random.nextInt(100_000);
    };
  }

  private String randomValue(int depth) {
    return switch (random.nextInt(depth > 2 ? 4 : 6)) {
      case 0 -> randomNumber();
      case 1 -> "\"" + "abc xyz".substring(0, random.nextInt(8)) + "\"";
      case 2 -> "null";
      case 3 -> random.nextBoolean() ? "true" : "false";
      case 4 -> "[" + randomValue(depth + 1) + ", " + randomValue(depth + 1) + "]";
      default -> "{\"k\": " + randomValue(depth + 1) + "}";
    };
  }

  private String randomPrediction() {
    List<String> fields = new ArrayList<>();
    fields.add("\"score\": " + (random.nextInt(5) == 0 ? randomValue(0) : "0.5"));
    StringBuilder embedding = new StringBuilder("[");
    for (int k = random.nextInt(1, 6); k > 0; k--) {
      embedding.append(randomNumber()).append(k > 1 ? ", " : "");
    }
    fields.add("\"embedding\": " + (random.nextInt(8) == 0 ? randomValue(0) : embedding + "]"));
    if (random.nextBoolean()) {
      fields.add("\"features\": {\"a\": " + randomValue(0) + ", \"b\": \"x\", \"a\": 1}");
    }
    for (String name : List.of("userId", "itemId", "requestId", "timestamp", "other")) {
      if (random.nextInt(3) == 0) {
        fields.add("\"" + name + "\": " + randomValue(0));
      }
    }
    if (random.nextInt(10) == 0) {
      fields.add(fields.get(random.nextInt(fields.size()))); // a repeated field
    }
    java.util.Collections.shuffle(fields, new java.util.Random(random.nextLong()));
    String ws = List.of("", " ", "\n", "\t ").get(random.nextInt(4));
    return "{" + ws + String.join("," + ws, fields) + ws + "}";
  }

  private String randomBody() {
    if (random.nextInt(4) == 0) {
      return randomPrediction()
          .replaceFirst("\\{", "{\"modelId\": \"m\", \"modelVersion\": \"v\", ");
    }
    StringBuilder candidates = new StringBuilder("[");
    for (int c = random.nextInt(0, 4); c > 0; c--) {
      candidates.append(random.nextInt(10) == 0 ? randomValue(0) : randomPrediction());
      candidates.append(c > 1 ? ", " : "");
    }
    return "{\"modelId\": \"m\", \"modelVersion\": \"v\", \"timestamp\": 5, \"candidates\": "
        + candidates
        + "]}";
  }
}
