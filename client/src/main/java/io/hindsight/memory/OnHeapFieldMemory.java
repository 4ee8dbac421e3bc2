package io.hindsight.memory;

import java.util.HashMap;

/**
 * A {@link FieldMemory} in a hash map whose entries also form a recency list; one writer,
 * overlapping peeks. Nothing is persisted: after a restart it is rebuilt from the labelled samples.
 * About 150 bytes per value with short ids.
 */
public final class OnHeapFieldMemory extends AbstractFieldMemory {

  private HashMap<String, Node> cells;

  /** Sentinel of the circular recency list: {@code head.next} is the least recently used. */
  private final Node head = new Node(null);

  public OnHeapFieldMemory(FieldMemorySettings settings) {
    super(settings);
    // Sized for the bound up front would waste memory on small fields; grow as values arrive.
    this.cells = new HashMap<>();
    head.previous = head;
    head.next = head;
  }

  @Override
  boolean load(String value, long[] out, boolean use) {
    Node node = cells.get(value);
    if (node == null) {
      return false;
    }
    out[COUNT] = node.count;
    out[RESIDUALS] = node.residuals;
    out[EPOCH] = node.epoch;
    if (use) {
      moveToEnd(node);
    }
    return true;
  }

  @Override
  void store(String value, long[] cell, boolean inserting) {
    Node node;
    if (inserting) {
      if (cells.size() >= maxValues) {
        evictLeastRecentlyUsed();
      }
      node = new Node(value);
      cells.put(value, node);
      append(node);
    } else {
      node = cells.get(value);
      moveToEnd(node);
    }
    node.count = cell[COUNT];
    node.residuals = cell[RESIDUALS];
    node.epoch = cell[EPOCH];
  }

  @Override
  void forEachCell(CellVisitor visitor) {
    long[] cell = new long[CELL];
    for (Node node = head.next; node != head; node = node.next) {
      cell[COUNT] = node.count;
      cell[RESIDUALS] = node.residuals;
      cell[EPOCH] = node.epoch;
      visitor.visit(node.value, cell);
    }
  }

  @Override
  public long size() {
    checkOpen();
    return cells.size();
  }

  @Override
  void release() {
    cells = null;
    head.next = head;
    head.previous = head;
  }

  private void evictLeastRecentlyUsed() {
    for (int i = 0; i < evictionBatch && head.next != head; i++) {
      Node eldest = head.next;
      unlink(eldest);
      cells.remove(eldest.value);
      evictions++;
    }
  }

  private void moveToEnd(Node node) {
    if (head.previous != node) {
      unlink(node);
      append(node);
    }
  }

  private void append(Node node) {
    node.previous = head.previous;
    node.next = head;
    head.previous.next = node;
    head.previous = node;
  }

  private static void unlink(Node node) {
    node.previous.next = node.next;
    node.next.previous = node.previous;
  }

  private static final class Node {
    final String value;
    long count;
    long residuals;
    long epoch;
    Node previous;
    Node next;

    Node(String value) {
      this.value = value;
    }
  }
}
