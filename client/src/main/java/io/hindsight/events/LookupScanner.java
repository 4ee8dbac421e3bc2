package io.hindsight.events;

import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.NumberInput;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the common lookup body by hand, byte by byte: ASCII, well-formed, strings without escapes,
 * every candidate's fields of the types they should have. Gives up ({@code null}) at anything else,
 * malformed or merely unusual, and the caller reads the body with Jackson, whose reading names
 * every rejection; what this one accepts it reads to the same fields and the same values (numbers
 * correctly rounded, as Jackson's fast parser rounds them). A 100-candidate batch is some 6,400
 * numbers: Jackson's tokenizer and number parser were most of a lookup's time besides the replica.
 */
final class LookupScanner {
  /** Deeper nesting than this (in fields nobody reads) is left to Jackson and its limits. */
  private static final int MAX_DEPTH = 64;

  /** Longer numbers are left to Jackson and its limits. */
  private static final int MAX_NUMBER_CHARS = 64;

  private static final double[] POWERS_OF_TEN = new double[23];

  static {
    double p = 1;
    for (int i = 0; i < POWERS_OF_TEN.length; i++) {
      POWERS_OF_TEN[i] = p; // exact up to 1e22
      p *= 10;
    }
  }

  /** Thrown to give up; no stack trace, it is not an error. */
  private static final class GiveUp extends RuntimeException {
    GiveUp() {
      super(null, null, false, false);
    }
  }

  private static final GiveUp GIVE_UP = new GiveUp();

  private final byte[] b;
  private int i;

  /** The last number read: its value as a double, and whether it was an integer token. */
  private double number;

  private boolean integral;
  private int numberStart;

  private LookupScanner(byte[] bytes) {
    this.b = bytes;
  }

  /** The body's fields, or {@code null} when Jackson must read it. */
  static EventCodec.ReadLookup read(byte[] bytes) {
    try {
      return new LookupScanner(bytes).lookup();
    } catch (GiveUp | ArrayIndexOutOfBoundsException e) {
      return null; // past the end: truncated, Jackson says how
    }
  }

  private EventCodec.ReadLookup lookup() {
    EventCodec.ReadLookup read = new EventCodec.ReadLookup();
    skipWhitespace();
    expect('{');
    if (startFields()) {
      do {
        String name = name();
        if (name.equals(EventCodec.CANDIDATES)) {
          read.hasCandidates = true;
          read.candidates = null;
          if (b[i] == '[') {
            read.candidates = candidates();
          } else {
            skipValue(0);
          }
        } else {
          field(read.top, name);
        }
      } while (nextField());
    }
    // Jackson's reading decodes the whole body first: a non-ASCII byte after the object is its.
    for (int k = i; k < b.length; k++) {
      if (b[k] < 0) {
        throw GIVE_UP;
      }
    }
    return read;
  }

  private ArrayList<EventCodec.RawPrediction> candidates() {
    i++;
    ArrayList<EventCodec.RawPrediction> candidates = new ArrayList<>();
    skipWhitespace();
    if (b[i] == ']') {
      i++;
      return candidates;
    }
    while (true) {
      skipWhitespace();
      if (b[i] == '{') {
        i++;
        EventCodec.RawPrediction candidate = new EventCodec.RawPrediction();
        if (startFields()) {
          do {
            field(candidate, name());
          } while (nextField());
        }
        candidates.add(candidate);
      } else {
        skipValue(1);
        candidates.add(null);
      }
      if (!another(']')) {
        return candidates;
      }
    }
  }

  /** After '{': true if a field follows, false at '}'. */
  private boolean startFields() {
    skipWhitespace();
    if (b[i] == '}') {
      i++;
      return false;
    }
    return true;
  }

  /** After a field's value: true at ',' (another field must follow), false at '}'. */
  private boolean nextField() {
    return another('}');
  }

  /** After an element or field: true at ',' (another must follow), false past {@code close}. */
  private boolean another(char close) {
    skipWhitespace();
    if (b[i] == ',') {
      i++;
      return true;
    }
    expect(close);
    return false;
  }

  /** A field's name and its colon; the value comes next, whitespace skipped. */
  private String name() {
    skipWhitespace();
    String name = string();
    skipWhitespace();
    expect(':');
    skipWhitespace();
    return name;
  }

  /** One field of a prediction, as {@link EventCodec.RawPrediction#read} takes it. */
  private void field(EventCodec.RawPrediction raw, String name) {
    switch (name) {
      case "embedding" -> {
        raw.badEmbedding = null;
        raw.embedding = isNull() ? null : embedding();
      }
      case "features" -> {
        raw.badFeatures = null;
        raw.features = isNull() ? null : features();
      }
      case "requestId", "modelId", "modelVersion", "userId", "itemId", "score", "timestamp" -> {
        if (isNull()) {
          raw.scalars.put(name, JsonToken.VALUE_NULL);
        } else if (b[i] == '"') {
          raw.scalars.put(name, string());
        } else {
          raw.scalars.put(name, scalarNumber());
        }
      }
      default -> skipValue(1);
    }
  }

  private boolean isNull() {
    if (b[i] == 'n') {
      literal("null");
      return true;
    }
    return false;
  }

  /** A non-empty array of finite numbers as floats; anything else is Jackson's to reject. */
  private float[] embedding() {
    expect('[');
    float[] vector = new float[64];
    int size = 0;
    while (true) {
      skipWhitespace();
      readNumber();
      float f = (float) number;
      if (!Float.isFinite(f)) {
        throw GIVE_UP;
      }
      if (size == vector.length) {
        vector = Arrays.copyOf(vector, 2 * size);
      }
      vector[size++] = f;
      if (!another(']')) {
        return size == vector.length ? vector : Arrays.copyOf(vector, size);
      }
    }
  }

  /** An object of finite numbers and strings; booleans as their text, as Jackson's getText. */
  private Map<String, Object> features() {
    expect('{');
    Map<String, Object> features = new LinkedHashMap<>();
    if (startFields()) {
      do {
        String key = name();
        byte c = b[i];
        if (c == '"') {
          features.put(key, string());
        } else if (c == 't') {
          literal("true");
          features.put(key, "true");
        } else if (c == 'f') {
          literal("false");
          features.put(key, "false");
        } else {
          readNumber();
          if (!Double.isFinite(number)) {
            throw GIVE_UP;
          }
          features.put(key, number);
        }
      } while (nextField());
    }
    return features;
  }

  /** A scalar number as a tree keeps it: Integer or Long for an integer token, else Double. */
  private Object scalarNumber() {
    readNumber();
    if (!integral) {
      return number;
    }
    int length = i - numberStart;
    if (length > 18) {
      throw GIVE_UP; // maybe a BigInteger: Jackson decides
    }
    long value = Long.parseLong(new String(b, numberStart, length, StandardCharsets.ISO_8859_1));
    return value == (int) value ? (Object) (int) value : (Object) value;
  }

  /**
   * A JSON number (no NaN, no Infinity, no leading zero: those are Jackson's) into {@link #number};
   * exact by Clinger's fast path when its digits and power of ten are exactly representable,
   * otherwise by Jackson's own parser.
   */
  private void readNumber() {
    int start = i;
    numberStart = start;
    boolean negative = b[i] == '-';
    if (negative) {
      i++;
    }
    long digits = 0;
    int significant = 0;
    int exponent = 0;
    byte c = b[i];
    if (c == '0') {
      i++;
    } else if (c >= '1' && c <= '9') {
      while ((c = b[i]) >= '0' && c <= '9') {
        if (significant < 18) {
          digits = digits * 10 + (c - '0');
          significant++;
        } else {
          exponent++;
          significant++;
        }
        i++;
      }
    } else {
      throw GIVE_UP;
    }
    integral = true;
    if (b[i] == '.') {
      integral = false;
      i++;
      int fractionStart = i;
      while ((c = b[i]) >= '0' && c <= '9') {
        if (significant == 0 && c == '0') {
          exponent--; // leading zeros of 0.000x: not significant
        } else if (significant < 18) {
          digits = digits * 10 + (c - '0');
          significant++;
          exponent--;
        } else {
          significant++;
        }
        i++;
      }
      if (i == fractionStart) {
        throw GIVE_UP;
      }
    }
    if (b[i] == 'e' || b[i] == 'E') {
      integral = false;
      i++;
      boolean negativeExponent = b[i] == '-';
      if (b[i] == '-' || b[i] == '+') {
        i++;
      }
      int exponentStart = i;
      int e = 0;
      while ((c = b[i]) >= '0' && c <= '9') {
        if (e < 10_000) {
          e = e * 10 + (c - '0');
        }
        i++;
      }
      if (i == exponentStart) {
        throw GIVE_UP;
      }
      exponent += negativeExponent ? -e : e;
    }
    if (i - start > MAX_NUMBER_CHARS) {
      throw GIVE_UP;
    }
    double value;
    if (significant <= 15 && exponent >= -22 && exponent <= 22) {
      // Both operands exact, one IEEE operation: correctly rounded (Clinger 1990).
      value = exponent < 0 ? digits / POWERS_OF_TEN[-exponent] : digits * POWERS_OF_TEN[exponent];
    } else {
      value =
          NumberInput.parseDouble(
              new String(b, start, i - start, StandardCharsets.ISO_8859_1), true);
      number = value;
      return;
    }
    // An integer token is an int or a long to Jackson, and -0 becomes 0 as one.
    number = negative && !(integral && value == 0) ? -value : value;
  }

  /** A string without escapes or control characters (printable ASCII and DEL). */
  private String string() {
    expect('"');
    int start = i;
    byte c;
    while ((c = b[i]) != '"') {
      if (c < 0x20 || c == '\\') {
        throw GIVE_UP; // a control character, an escape or a non-ASCII byte
      }
      i++;
    }
    i++;
    return new String(b, start, i - 1 - start, StandardCharsets.ISO_8859_1);
  }

  /** Any well-formed value this reader can read, discarded. */
  private void skipValue(int depth) {
    if (depth > MAX_DEPTH) {
      throw GIVE_UP;
    }
    switch (b[i]) {
      case '"' -> string();
      case 't' -> literal("true");
      case 'f' -> literal("false");
      case 'n' -> literal("null");
      case '[' -> {
        i++;
        skipWhitespace();
        if (b[i] == ']') {
          i++;
          return;
        }
        do {
          skipWhitespace();
          skipValue(depth + 1);
        } while (another(']'));
      }
      case '{' -> {
        i++;
        if (startFields()) {
          do {
            name();
            skipValue(depth + 1);
          } while (nextField());
        }
      }
      default -> readNumber();
    }
  }

  private void literal(String word) {
    for (int k = 0; k < word.length(); k++) {
      if (b[i++] != word.charAt(k)) {
        throw GIVE_UP;
      }
    }
    if (Character.isLetterOrDigit(b[i])) {
      throw GIVE_UP; // nullx: Jackson's to reject
    }
  }

  private void expect(char c) {
    if (b[i] != c) {
      throw GIVE_UP;
    }
    i++;
  }

  private void skipWhitespace() {
    byte c;
    while ((c = b[i]) == ' ' || c == '\n' || c == '\r' || c == '\t') {
      i++;
    }
  }
}
