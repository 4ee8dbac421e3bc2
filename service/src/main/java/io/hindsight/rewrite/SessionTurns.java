package io.hindsight.rewrite;

import static io.hindsight.rewrite.LengthPrefixedStrings.encodedSize;
import static io.hindsight.rewrite.LengthPrefixedStrings.put;
import static io.hindsight.rewrite.LengthPrefixedStrings.read;
import static io.hindsight.rewrite.LengthPrefixedStrings.utf8;

import com.fasterxml.jackson.core.type.TypeReference;
import io.hindsight.events.AppliedRewrite;
import io.hindsight.events.EventCodec;
import io.hindsight.events.Interaction;
import io.hindsight.events.Signal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The stored form of one user's open session: its turns in time order, in a binary layout whose
 * header (format, last turn's time, turn count) answers what every turn asks without decoding the
 * session, and to which a turn in time order is appended by copying bytes. The sessions store
 * rewrote the whole session as JSON on every turn, which was most of the rewrite loop's cost per
 * turn. A session stored as JSON by an earlier version (restored from its changelog) is read too.
 *
 * <p>Layout: {@code [format 1][last timestamp 8][count 4]} then per turn {@code [timestamp 8]
 * [utterance][session id][interpretation][signal][rewrite?]}, strings as a length (-1 for none) and
 * UTF-8, the signal by its wire name, the rewrite as a presence byte, source, target and version.
 * The user id is the store's key, so it is not repeated.
 */
final class SessionTurns {
  private static final byte FORMAT = 1;
  private static final int HEADER = 1 + 8 + 4;
  private static final TypeReference<List<Interaction>> JSON_TURNS = new TypeReference<>() {};

  private SessionTurns() {}

  /** The session with {@code turn} added in time order (after turns at the same time). */
  static byte[] append(String user, byte[] stored, Interaction turn) {
    if (stored == null) {
      return encode(List.of(turn));
    }
    if (!isBinary(stored)) {
      stored = encode(decode(user, stored));
    }
    if (turn.timestamp() < lastTimestamp(stored)) {
      List<Interaction> turns = decode(user, stored);
      int at = turns.size();
      while (at > 0 && turns.get(at - 1).timestamp() > turn.timestamp()) {
        at--;
      }
      turns.add(at, turn);
      return encode(turns);
    }
    byte[][] strings = strings(turn);
    ByteBuffer out = ByteBuffer.allocate(stored.length + size(turn, strings));
    out.put(FORMAT).putLong(turn.timestamp()).putInt(count(stored) + 1);
    out.put(stored, HEADER, stored.length - HEADER);
    putTurn(out, turn, strings);
    return out.array();
  }

  /** The time of the session's last turn. */
  static long lastTimestamp(String user, byte[] stored) {
    if (!isBinary(stored)) {
      List<Interaction> turns = decode(user, stored);
      return turns.get(turns.size() - 1).timestamp();
    }
    return lastTimestamp(stored);
  }

  static int count(byte[] stored) {
    return ByteBuffer.wrap(stored, 9, 4).getInt();
  }

  static byte[] encode(List<Interaction> turns) {
    byte[][][] strings = new byte[turns.size()][][];
    int size = HEADER;
    for (int i = 0; i < strings.length; i++) {
      strings[i] = strings(turns.get(i));
      size += size(turns.get(i), strings[i]);
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    out.put(FORMAT).putLong(turns.get(turns.size() - 1).timestamp()).putInt(turns.size());
    for (int i = 0; i < strings.length; i++) {
      putTurn(out, turns.get(i), strings[i]);
    }
    return out.array();
  }

  /** The session's turns in time order; {@code user} is the store's key. */
  static List<Interaction> decode(String user, byte[] stored) {
    try {
      if (!isBinary(stored)) {
        return new ArrayList<>(EventCodec.JSON.readValue(stored, JSON_TURNS));
      }
      ByteBuffer in = ByteBuffer.wrap(stored);
      in.position(9);
      int count = in.getInt();
      List<Interaction> turns = new ArrayList<>(count + 1);
      for (int i = 0; i < count; i++) {
        long timestamp = in.getLong();
        String utterance = read(in);
        String sessionId = read(in);
        String interpretation = read(in);
        String signalName = read(in);
        Signal signal = signalName == null ? null : Signal.fromWireName(signalName).orElseThrow();
        AppliedRewrite rewrite =
            in.get() == 0 ? null : new AppliedRewrite(read(in), read(in), in.getLong());
        turns.add(
            new Interaction(
                user, timestamp, utterance, sessionId, interpretation, signal, rewrite));
      }
      if (turns.isEmpty() || in.hasRemaining()) {
        throw new IllegalStateException(in.remaining() + " bytes after " + count + " turns");
      }
      return turns;
    } catch (IOException e) {
      throw new UncheckedIOException("Corrupt session of " + user, e);
    } catch (BufferUnderflowException
        | IndexOutOfBoundsException
        | IllegalArgumentException
        | IllegalStateException
        | NoSuchElementException e) {
      throw new IllegalStateException("Corrupt session of " + user + ": " + e, e);
    }
  }

  private static boolean isBinary(byte[] stored) {
    return stored.length >= HEADER && stored[0] == FORMAT;
  }

  private static long lastTimestamp(byte[] stored) {
    return ByteBuffer.wrap(stored, 1, 8).getLong();
  }

  /**
   * A turn's strings as UTF-8, in layout order: utterance, session id, interpretation, signal, then
   * the rewrite's source and target if it has one.
   */
  private static byte[][] strings(Interaction turn) {
    AppliedRewrite rewrite = turn.rewrite();
    return new byte[][] {
      utf8(turn.utterance()),
      utf8(turn.sessionId()),
      utf8(turn.interpretation()),
      utf8(turn.signal() == null ? null : turn.signal().wireName()),
      rewrite == null ? null : utf8(rewrite.source()),
      rewrite == null ? null : utf8(rewrite.target())
    };
  }

  /** The turn's encoded size: timestamp, four strings, the rewrite's presence byte and body. */
  private static int size(Interaction turn, byte[][] strings) {
    int size = 8 + 1;
    for (int i = 0; i < 4; i++) {
      size += encodedSize(strings[i]);
    }
    return turn.rewrite() == null
        ? size
        : size + encodedSize(strings[4]) + encodedSize(strings[5]) + 8;
  }

  private static void putTurn(ByteBuffer out, Interaction turn, byte[][] strings) {
    out.putLong(turn.timestamp());
    for (int i = 0; i < 4; i++) {
      put(out, strings[i]);
    }
    AppliedRewrite rewrite = turn.rewrite();
    out.put((byte) (rewrite == null ? 0 : 1));
    if (rewrite != null) {
      put(out, strings[4]);
      put(out, strings[5]);
      out.putLong(rewrite.version());
    }
  }
}
