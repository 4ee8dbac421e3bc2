package io.hindsight.rewrite;

import static io.hindsight.rewrite.LengthPrefixedStrings.encodedSize;
import static io.hindsight.rewrite.LengthPrefixedStrings.put;
import static io.hindsight.rewrite.LengthPrefixedStrings.read;
import static io.hindsight.rewrite.LengthPrefixedStrings.utf8;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.hindsight.events.EventCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of the internal reformulations log, which every instance replays into its replica of
 * the chain: either an organic chain of utterances absorbed in success or failure, or the outcome
 * of a turn on which a rule was applied (a treatment).
 *
 * <p>Encoded in a binary layout: the log is written once per session and read by every replica, and
 * reading JSON took 11 times as long (RewriteCodecBenchmark). {@code [format 1][timestamp
 * 8][succeeded: 0 false, 1 true, 2 none][user]} then a chain's {@code [count 4][utterance]...} or a
 * treatment's {@code [-1 4][source][target]}, strings as a length and UTF-8 (-1 for none). Entries
 * written as JSON by earlier versions are still read.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Reformulation(
    String userId,
    long timestamp,
    List<String> utterances,
    Boolean succeeded,
    String ruleSource,
    String ruleTarget) {
  private static final byte FORMAT = 1;

  public static Reformulation chain(
      String userId, long timestamp, List<String> utterances, boolean succeeded) {
    return new Reformulation(userId, timestamp, List.copyOf(utterances), succeeded, null, null);
  }

  public static Reformulation treatment(
      String userId, long timestamp, String source, String target, boolean succeeded) {
    return new Reformulation(userId, timestamp, null, succeeded, source, target);
  }

  public boolean isTreatment() {
    return ruleSource != null;
  }

  public byte[] encode() {
    byte[] user = utf8(userId);
    byte[][] strings =
        isTreatment()
            ? new byte[][] {utf8(ruleSource), utf8(ruleTarget)}
            : utterances.stream().map(LengthPrefixedStrings::utf8).toArray(byte[][]::new);
    int size = 1 + 8 + 1 + encodedSize(user) + 4;
    for (byte[] string : strings) {
      size += encodedSize(string);
    }
    ByteBuffer out = ByteBuffer.allocate(size).put(FORMAT).putLong(timestamp);
    out.put((byte) (succeeded == null ? 2 : succeeded ? 1 : 0));
    put(out, user);
    out.putInt(isTreatment() ? -1 : strings.length);
    for (byte[] string : strings) {
      put(out, string);
    }
    return out.array();
  }

  public static Reformulation decode(byte[] bytes) {
    if (bytes.length == 0 || bytes[0] != FORMAT) {
      return decodeJson(bytes);
    }
    try {
      ByteBuffer in = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
      long timestamp = in.getLong();
      byte outcome = in.get();
      Boolean succeeded = outcome == 2 ? null : outcome == 1;
      String user = read(in);
      int count = in.getInt();
      Reformulation entry;
      if (count < 0) {
        entry = new Reformulation(user, timestamp, null, succeeded, read(in), read(in));
      } else {
        List<String> utterances = new ArrayList<>(Math.min(count, in.remaining() / 4));
        for (int i = 0; i < count; i++) {
          utterances.add(read(in));
        }
        entry = new Reformulation(user, timestamp, List.copyOf(utterances), succeeded, null, null);
      }
      if (in.hasRemaining() || outcome < 0 || outcome > 2) {
        throw new IllegalStateException(
            "outcome " + outcome + ", " + in.remaining() + " bytes left");
      }
      return entry;
    } catch (BufferUnderflowException
        | IndexOutOfBoundsException
        | IllegalArgumentException
        | IllegalStateException e) {
      throw new IllegalStateException("Corrupt reformulation record: " + e, e);
    }
  }

  private static Reformulation decodeJson(byte[] bytes) {
    try {
      return EventCodec.JSON.readValue(bytes, Reformulation.class);
    } catch (IOException e) {
      throw new UncheckedIOException("Corrupt reformulation record", e);
    }
  }
}
