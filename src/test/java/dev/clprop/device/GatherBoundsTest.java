package dev.clprop.device;

import dev.clprop.BackendKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The minibatch gather refuses offsets and counts outside its buffers on both paths, instead of reading past them. */
class GatherBoundsTest {
    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void outOfRangeGathersAreRefusedAndInRangeOnesCopyRows(BackendKind kind) {
        try (Backend b = kind.open(); Tensor src = b.allocate(4, 3); Tensor dst = b.allocate(2, 3); IndexBuffer order = b.allocateIndices(4)) {
            b.upload(src, new float[]{0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32});
            b.uploadIndices(order, new int[]{3, 1, 0, 2});
            b.gather(src, order, 2, 2, dst);
            float[] got = new float[6];
            b.download(dst, got);
            assertArrayEquals(new float[]{0, 1, 2, 20, 21, 22}, got);
            int[][] bad = {{-2, 2}, {3, 2}, {Integer.MAX_VALUE, 2}, {0, 3}, {0, -1}, {-2147483632, 2}};
            for (int[] c : bad) assertThrows(IllegalArgumentException.class, () -> b.gather(src, order, c[0], c[1], dst), c[0] + "+" + c[1]);
            try (Tensor narrow = b.allocate(2, 2)) {
                assertThrows(IllegalArgumentException.class, () -> b.gather(src, order, 0, 2, narrow));
            }
        }
    }
}
