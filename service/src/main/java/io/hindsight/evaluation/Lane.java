package io.hindsight.evaluation;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;

/**
 * One other thread that runs the tasks given to it one at a time, in the order given: the work of a
 * single-threaded pipeline stage moved beside its caller without changing its order. {@link
 * #submit} blocks while the lane is far behind, so memory stays bounded. A task that throws stops
 * the lane: later tasks are skipped and the failure is rethrown to the caller.
 */
final class Lane implements AutoCloseable {
  private static final int CAPACITY = 16_384;

  private final BlockingQueue<Runnable> tasks = new ArrayBlockingQueue<>(CAPACITY);
  private final Thread thread;
  private volatile Throwable failure;

  Lane(String name) {
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues {@code task} after every task given before it. */
  void submit(Runnable task) {
    rethrow();
    try {
      tasks.put(task);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while queueing on " + thread.getName(), e);
    }
  }

  /** Waits until every task given so far has run, then rethrows a task's failure. */
  void drain() {
    Barrier barrier = new Barrier();
    submit(barrier);
    try {
      barrier.done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while draining " + thread.getName(), e);
    }
    rethrow();
  }

  private void rethrow() {
    Throwable failed = failure;
    if (failed instanceof RuntimeException e) {
      throw e;
    }
    if (failed instanceof Error e) {
      throw e;
    }
    if (failed != null) {
      throw new IllegalStateException(failed);
    }
  }

  private void run() {
    while (true) {
      Runnable task;
      try {
        task = tasks.take();
      } catch (InterruptedException e) {
        return;
      }
      if (task instanceof Stop) {
        return;
      }
      if (failure != null && !(task instanceof Barrier)) {
        continue;
      }
      try {
        task.run();
      } catch (Throwable e) {
        failure = e;
      }
    }
  }

  /** Runs what is queued, then ends the thread. */
  @Override
  public void close() {
    try {
      tasks.put(new Stop());
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class Barrier implements Runnable {
    final CountDownLatch done = new CountDownLatch(1);

    @Override
    public void run() {
      done.countDown();
    }
  }

  private static final class Stop implements Runnable {
    @Override
    public void run() {}
  }
}
