package dev.clprop.device.opencl;

import dev.clprop.OpenClDevices;
import dev.clprop.device.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Reading and writing the parts of one allocateAll block as one transfer, and every other list part by part. */
class BlockTransferTest {
    private static final List<int[]> SHAPES = List.of(new int[]{3, 5}, new int[]{1, 5}, new int[]{7, 2}, new int[]{1, 1});

    private static float[][] random(long seed) {
        Random r = new Random(seed);
        float[][] out = new float[SHAPES.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new float[SHAPES.get(i)[0] * SHAPES.get(i)[1]];
            for (int j = 0; j < out[i].length; j++) out[i][j] = r.nextFloat() - 0.5f;
        }
        return out;
    }

    private static long transfers(OpenClBackend b, String kind) {
        long[] p = b.profile().get(kind);
        return p == null ? 0 : p[1];
    }

    @Test
    void aWholeBlockMovesInOneTransferAndItsGapsStayZero() {
        try (OpenClBackend b = new OpenClBackend(OpenClDevices.device(), GemmConfig.VECTOR_DEFAULT)) {
            List<Tensor> parts = b.allocateAll(SHAPES);
            try {
                float[][] in = random(1);
                b.setProfiling(true);
                b.uploadAll(parts, in);
                assertEquals(1, transfers(b, "upload"));
                for (int i = 0; i < in.length; i++) {
                    float[] got = new float[in[i].length];
                    b.download(parts.get(i), got);
                    assertArrayEquals(in[i], got, "part " + i + " as written");
                }
                b.resetProfile();
                float[][] out = new float[in.length][];
                for (int i = 0; i < in.length; i++) out[i] = new float[in[i].length];
                b.downloadAll(parts, out);
                assertEquals(1, transfers(b, "download"));
                for (int i = 0; i < in.length; i++) assertArrayEquals(in[i], out[i], "part " + i + " as read");

                ClTensor.Block block = ((ClTensor) parts.get(0)).block;
                float[] whole = new float[block.whole.cols];
                b.download(block.whole, whole);
                boolean[] inPart = new boolean[whole.length];
                for (int i = 0; i < in.length; i++) for (int j = 0; j < in[i].length; j++) inPart[block.offsets[i] + j] = true;
                for (int j = 0; j < whole.length; j++) if (!inPart[j]) assertEquals(0f, whole[j], "gap at " + j);

                float[][] wrongSize = {new float[15], new float[5], new float[13], new float[1]};
                assertThrows(IllegalArgumentException.class, () -> b.uploadAll(parts, wrongSize));
                assertThrows(IllegalArgumentException.class, () -> b.downloadAll(parts, wrongSize));
            } finally {
                for (int i = parts.size() - 1; i >= 0; i--) parts.get(i).close();
            }
        }
    }

    @Test
    void otherListsMovePartByPart() {
        try (OpenClBackend b = new OpenClBackend(OpenClDevices.device(), GemmConfig.VECTOR_DEFAULT)) {
            List<Tensor> parts = b.allocateAll(SHAPES);
            List<Tensor> separate = new ArrayList<>();
            try {
                for (int[] s : SHAPES) separate.add(b.allocate(s[0], s[1]));
                List<Tensor> reversed = new ArrayList<>(parts);
                java.util.Collections.reverse(reversed);
                float[][] in = random(2), inReversed = new float[in.length][];
                for (int i = 0; i < in.length; i++) inReversed[i] = in[in.length - 1 - i];
                b.setProfiling(true);
                for (List<Tensor> list : List.of(separate, reversed, parts.subList(0, 2))) {
                    float[][] src = list == reversed ? inReversed : in;
                    int n = list.size();
                    b.resetProfile();
                    b.uploadAll(list, java.util.Arrays.copyOf(src, n));
                    float[][] out = new float[n][];
                    for (int i = 0; i < n; i++) out[i] = new float[list.get(i).size()];
                    b.downloadAll(list, out);
                    assertEquals(n, transfers(b, "upload"));
                    assertEquals(n, transfers(b, "download"));
                    for (int i = 0; i < n; i++) assertArrayEquals(src[i], out[i]);
                }
            } finally {
                for (int i = separate.size() - 1; i >= 0; i--) separate.get(i).close();
                for (int i = parts.size() - 1; i >= 0; i--) parts.get(i).close();
            }
        }
    }
}
