package io.hindsight.memory;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;

/**
 * Chronicle Map marshaller for a bucket's {@code long[]}: the longs back to back. Reads into the
 * caller's array when it has the right length, so {@code getUsing} does not allocate. Stateless.
 */
final class LongArrayMarshaller
    implements SizedReader<long[]>, SizedWriter<long[]>, EnumMarshallable<LongArrayMarshaller> {

  static final LongArrayMarshaller INSTANCE = new LongArrayMarshaller();

  private LongArrayMarshaller() {}

  @Override
  public long[] read(Bytes<?> in, long size, long[] using) {
    int length = (int) (size / Long.BYTES);
    long[] out = using != null && using.length == length ? using : new long[length];
    for (int i = 0; i < length; i++) {
      out[i] = in.readLong();
    }
    return out;
  }

  @Override
  public long size(long[] values) {
    return (long) values.length * Long.BYTES;
  }

  @Override
  public void write(Bytes<?> out, long size, long[] values) {
    for (long value : values) {
      out.writeLong(value);
    }
  }

  @Override
  public LongArrayMarshaller readResolve() {
    return INSTANCE;
  }
}
