package io.hindsight.datasets;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A logistic matrix-factorisation model of binary feedback: {@code P(y = 1 | u, i) = σ(b + b_u +
 * b_i + p_u · q_i)} with a global bias {@code b}, user and item biases and {@code dim}-dimensional
 * user and item factors. Trained by seeded stochastic gradient descent on logloss with L2 on every
 * per-user and per-item parameter; after {@link #fit} it is frozen. A user or item not seen in
 * training has zero bias and a zero factor (cold start). Immutable after construction, so
 * thread-safe.
 */
final class LogisticMatrixFactorization {

  /** One labelled training example: user and item ids as in the source data. */
  record Example(int user, int item, double label) {}

  /** Training settings. */
  record Settings(
      int dim, int epochs, double learningRate, double l2, double initScale, long seed) {
    Settings {
      if (dim < 1 || epochs < 0 || !(learningRate > 0) || !(l2 >= 0) || !(initScale >= 0)) {
        throw new IllegalArgumentException(
            String.format(
                "need dim >= 1, epochs >= 0, learningRate > 0, l2 >= 0, initScale >= 0; got %d, %d,"
                    + " %s, %s, %s",
                dim, epochs, learningRate, l2, initScale));
      }
    }
  }

  private final int dim;
  private final double globalBias;
  private final Map<Integer, Integer> userIndex;
  private final Map<Integer, Integer> itemIndex;
  private final double[] userBias;
  private final double[] itemBias;
  private final double[][] userFactors;
  private final double[][] itemFactors;

  private LogisticMatrixFactorization(
      int dim,
      double globalBias,
      Map<Integer, Integer> userIndex,
      Map<Integer, Integer> itemIndex,
      double[] userBias,
      double[] itemBias,
      double[][] userFactors,
      double[][] itemFactors) {
    this.dim = dim;
    this.globalBias = globalBias;
    this.userIndex = userIndex;
    this.itemIndex = itemIndex;
    this.userBias = userBias;
    this.itemBias = itemBias;
    this.userFactors = userFactors;
    this.itemFactors = itemFactors;
  }

  /** Fits a model to {@code examples}; the same examples and settings give the same model. */
  static LogisticMatrixFactorization fit(List<Example> examples, Settings settings) {
    Map<Integer, Integer> userIndex = new HashMap<>();
    Map<Integer, Integer> itemIndex = new HashMap<>();
    int[] users = new int[examples.size()];
    int[] items = new int[examples.size()];
    double[] labels = new double[examples.size()];
    double labelSum = 0;
    for (int n = 0; n < examples.size(); n++) {
      Example example = examples.get(n);
      users[n] = userIndex.computeIfAbsent(example.user(), u -> userIndex.size());
      items[n] = itemIndex.computeIfAbsent(example.item(), i -> itemIndex.size());
      labels[n] = example.label();
      labelSum += example.label();
    }
    int dim = settings.dim();
    SplittableRandom random = new SplittableRandom(settings.seed());
    double[][] p = gaussian(userIndex.size(), dim, settings.initScale(), random);
    double[][] q = gaussian(itemIndex.size(), dim, settings.initScale(), random);
    double[] bu = new double[userIndex.size()];
    double[] bi = new double[itemIndex.size()];
    // Starting the global bias at the base rate's logit saves the first epoch learning it.
    double rate = examples.isEmpty() ? 0.5 : clamp(labelSum / examples.size(), 1e-3, 1 - 1e-3);
    double b = StrictMath.log(rate / (1 - rate));

    double lr = settings.learningRate();
    double l2 = settings.l2();
    int[] order = new int[examples.size()];
    for (int n = 0; n < order.length; n++) {
      order[n] = n;
    }
    for (int epoch = 0; epoch < settings.epochs(); epoch++) {
      shuffle(order, random);
      for (int n : order) {
        int u = users[n];
        int i = items[n];
        double[] pu = p[u];
        double[] qi = q[i];
        double gradient = sigmoid(b + bu[u] + bi[i] + dot(pu, qi)) - labels[n];
        b -= lr * gradient;
        bu[u] -= lr * (gradient + l2 * bu[u]);
        bi[i] -= lr * (gradient + l2 * bi[i]);
        for (int k = 0; k < dim; k++) {
          double puk = pu[k];
          pu[k] -= lr * (gradient * qi[k] + l2 * puk);
          qi[k] -= lr * (gradient * puk + l2 * qi[k]);
        }
      }
    }
    return new LogisticMatrixFactorization(dim, b, userIndex, itemIndex, bu, bi, p, q);
  }

  /** The predicted probability that {@code user} likes {@code item}. */
  double score(int user, int item) {
    Integer u = userIndex.get(user);
    Integer i = itemIndex.get(item);
    double logit = globalBias;
    if (u != null) {
      logit += userBias[u];
    }
    if (i != null) {
      logit += itemBias[i];
    }
    if (u != null && i != null) {
      logit += dot(userFactors[u], itemFactors[i]);
    }
    return sigmoid(logit);
  }

  /**
   * The hidden vector {@code p_u ⊙ q_i} (elementwise product), whose components sum to the
   * interaction term of the logit: the last layer before the model's output. All zeros when the
   * user or the item is unknown.
   */
  double[] hidden(int user, int item) {
    double[] hidden = new double[dim];
    Integer u = userIndex.get(user);
    Integer i = itemIndex.get(item);
    if (u != null && i != null) {
      for (int k = 0; k < dim; k++) {
        hidden[k] = userFactors[u][k] * itemFactors[i][k];
      }
    }
    return hidden;
  }

  /** The concatenation {@code [p_u, q_i]}, with zeros for an unknown user's or item's half. */
  double[] factors(int user, int item) {
    double[] factors = new double[2 * dim];
    Integer u = userIndex.get(user);
    Integer i = itemIndex.get(item);
    if (u != null) {
      System.arraycopy(userFactors[u], 0, factors, 0, dim);
    }
    if (i != null) {
      System.arraycopy(itemFactors[i], 0, factors, dim, dim);
    }
    return factors;
  }

  boolean knowsUser(int user) {
    return userIndex.containsKey(user);
  }

  boolean knowsItem(int item) {
    return itemIndex.containsKey(item);
  }

  int dim() {
    return dim;
  }

  static double sigmoid(double logit) {
    // StrictMath: the same seed gives the same model, bit for bit, on every JVM and CPU.
    return 1 / (1 + StrictMath.exp(-logit));
  }

  private static double dot(double[] a, double[] b) {
    double sum = 0;
    for (int k = 0; k < a.length; k++) {
      sum += a[k] * b[k];
    }
    return sum;
  }

  private static double[][] gaussian(int rows, int dim, double scale, SplittableRandom random) {
    double[][] matrix = new double[rows][dim];
    for (double[] row : matrix) {
      for (int k = 0; k < dim; k++) {
        row[k] = scale * gaussian(random);
      }
    }
    return matrix;
  }

  /** Box–Muller with StrictMath, for the same reason as {@link #sigmoid}. */
  private static double gaussian(SplittableRandom random) {
    double u1 = 1 - random.nextDouble(); // in (0, 1]: log stays finite
    double u2 = random.nextDouble();
    return StrictMath.sqrt(-2 * StrictMath.log(u1)) * StrictMath.cos(2 * Math.PI * u2);
  }

  private static void shuffle(int[] order, SplittableRandom random) {
    for (int n = order.length - 1; n > 0; n--) {
      int m = random.nextInt(n + 1);
      int swap = order[n];
      order[n] = order[m];
      order[m] = swap;
    }
  }

  private static double clamp(double value, double low, double high) {
    return Math.max(low, Math.min(high, value));
  }
}
