package io.hindsight.loadtests.harness;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The service's {@code /metrics} page (Prometheus text format), scraped and summed by name. */
record PrometheusText(String text) {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static PrometheusText scrape(String hostPort) {
    try {
      HttpResponse<String> response =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://" + hostPort + "/metrics"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new PrometheusText(response.body());
    } catch (IOException e) {
      return new PrometheusText("");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new PrometheusText("");
    }
  }

  static boolean ready(String hostPort) {
    try {
      return HTTP.send(
                  HttpRequest.newBuilder(URI.create("http://" + hostPort + "/health/ready"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The sum of every sample of {@code metric} whose labels contain {@code labelFragment}. */
  double sum(String metric, String labelFragment) {
    double total = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || !line.startsWith(metric)) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      boolean nameMatches = series.equals(metric) || series.startsWith(metric + "{");
      if (nameMatches && series.contains(labelFragment)) {
        total += Double.parseDouble(line.substring(space + 1));
      }
    }
    return total;
  }
}
