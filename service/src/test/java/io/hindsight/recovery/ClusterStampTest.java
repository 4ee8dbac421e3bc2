package io.hindsight.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterStampTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void shouldStampANewStateDirectoryWithTheCluster(@TempDir Path dir) throws Exception {
    Path state = dir.resolve("state");
    assertThat(ClusterStamp.claim(state, "cluster-a", registry))
        .isEqualTo(ClusterStamp.Claim.EMPTY);
    assertThat(Files.readString(state.resolve(ClusterStamp.FILE)).trim()).isEqualTo("cluster-a");
  }

  @Test
  void shouldKeepStateReadFromTheSameCluster(@TempDir Path state) throws Exception {
    ClusterStamp.claim(state, "cluster-a", registry);
    Path store = Files.createDirectories(state.resolve("hindsight-compensation/0_0/store"));
    assertThat(ClusterStamp.claim(state, "cluster-a", registry))
        .isEqualTo(ClusterStamp.Claim.SAME_CLUSTER);
    assertThat(store).exists();
    assertThat(rebuilds()).isZero();
  }

  @Test
  void shouldDiscardStateReadFromAnotherClusterAndCountIt(@TempDir Path state) throws Exception {
    ClusterStamp.claim(state, "cluster-a", registry);
    Path app = Files.createDirectories(state.resolve("hindsight-compensation/global"));
    Files.writeString(app.resolve(".checkpoint"), "0\n1\nlabelled-samples 0 1234\n");
    Files.writeString(state.resolve("loose-file"), "x");

    assertThat(ClusterStamp.claim(state, "cluster-b", registry))
        .isEqualTo(ClusterStamp.Claim.OTHER_CLUSTER_DISCARDED);

    try (var left = Files.list(state)) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly(ClusterStamp.FILE);
    }
    assertThat(Files.readString(state.resolve(ClusterStamp.FILE)).trim()).isEqualTo("cluster-b");
    assertThat(rebuilds()).isEqualTo(1.0);
  }

  @Test
  void shouldKeepStateWrittenBeforeStampsExistedAndStampIt(@TempDir Path state) throws Exception {
    Path store = Files.createDirectories(state.resolve("hindsight-compensation/0_0"));
    assertThat(ClusterStamp.claim(state, "cluster-a", registry))
        .isEqualTo(ClusterStamp.Claim.UNSTAMPED);
    assertThat(store).exists();
    assertThat(ClusterStamp.claim(state, "cluster-a", registry))
        .isEqualTo(ClusterStamp.Claim.SAME_CLUSTER);
  }

  private double rebuilds() {
    var counter =
        registry
            .find(StateRebuilds.METRIC)
            .tags("store", StateRebuilds.ALL_STORES, "reason", StateRebuilds.OTHER_CLUSTER)
            .counter();
    return counter == null ? 0 : counter.count();
  }
}
