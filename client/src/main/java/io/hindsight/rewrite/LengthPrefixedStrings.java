package io.hindsight.rewrite;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Strings in the rewrite loop's binary layouts (sessions, reformulations): a 4-byte length, -1 for
 * none, then the UTF-8 bytes. Written from bytes encoded once, so a record is sized before it is
 * allocated.
 */
public final class LengthPrefixedStrings {
  private LengthPrefixedStrings() {}

  public static byte[] utf8(String value) {
    return value == null ? null : value.getBytes(StandardCharsets.UTF_8);
  }

  /** The encoded size of {@code utf8}: its length prefix and bytes. */
  public static int encodedSize(byte[] utf8) {
    return 4 + (utf8 == null ? 0 : utf8.length);
  }

  public static void put(ByteBuffer out, byte[] utf8) {
    if (utf8 == null) {
      out.putInt(-1);
    } else {
      out.putInt(utf8.length).put(utf8);
    }
  }

  /** Reads a string of a heap buffer; throws an unchecked exception past its end. */
  public static String read(ByteBuffer in) {
    int length = in.getInt();
    if (length < 0) {
      return null;
    }
    String value =
        new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
    in.position(in.position() + length);
    return value;
  }
}
