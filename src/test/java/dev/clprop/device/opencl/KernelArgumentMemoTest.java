package dev.clprop.device.opencl;

import dev.clprop.OpenClDevices;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A launch sets only the arguments its kernel object does not already hold ({@link ClKernel}); these
 * show that a changed buffer or scalar still reaches the kernel, across more buffer sets than there
 * are kernel objects, and that an unchanged launch sets nothing.
 */
class KernelArgumentMemoTest {
    private static final int COUNT = 37;

    @Test
    void everyLaunchComputesWithItsOwnArgumentsAcrossMoreBufferSetsThanKernelObjects() {
        try (OpenClBackend b = OpenClDevices.backend()) {
            ClKernel sgd = b.kernel("sgd_step");
            int sets = ClKernel.BOUND_LIMIT + 5; // the least recently used kernel objects are rebound (5 is prime to it: every set is visited)
            Random rng = new Random(7);
            List<ClTensor> ps = new ArrayList<>(), gs = new ArrayList<>();
            float[][] p = new float[sets][COUNT], g = new float[sets][COUNT];
            try {
                for (int s = 0; s < sets; s++) {
                    for (int i = 0; i < COUNT; i++) {
                        p[s][i] = rng.nextFloat() - 0.5f;
                        g[s][i] = rng.nextFloat() - 0.5f;
                    }
                    ps.add((ClTensor) b.allocate(1, COUNT));
                    gs.add((ClTensor) b.allocate(1, COUNT));
                    b.upload(ps.get(s), p[s]);
                    b.upload(gs.get(s), g[s]);
                }
                for (int launch = 0; launch < 4 * sets; launch++) {
                    // buffer sets in a changing order, a parameter's gradient sometimes another set's, and changing scalars
                    int s = (launch * 5) % sets, gi = launch % 5 == 0 ? (s + 1) % sets : s;
                    int count = launch % 3 == 0 ? COUNT - 4 : COUNT;
                    float lr = 0.01f * (1 + launch % 4), wd = launch % 2 == 0 ? 0f : 0.1f;
                    sgd.call().floats("p", ps.get(s)).floats("g", gs.get(gi)).i32("count", count).f32("lr", lr).f32("wd", wd).runItems(count);
                    for (int i = 0; i < count; i++) p[s][i] -= lr * (g[gi][i] + wd * p[s][i]);
                }
                for (int s = 0; s < sets; s++) {
                    float[] got = new float[COUNT];
                    b.download(ps.get(s), got);
                    assertArrayEquals(p[s], got, 1e-6f, "buffer set " + s);
                }
            } finally {
                for (ClTensor t : gs) t.close();
                for (ClTensor t : ps) t.close();
            }
        }
    }

    @Test
    void theLeastRecentlyUsedKernelObjectIsTheOneRebound() {
        try (OpenClBackend b = OpenClDevices.backend()) {
            ClKernel sgd = b.kernel("sgd_step");
            int sets = ClKernel.BOUND_LIMIT + 1;
            List<ClTensor> ts = new ArrayList<>();
            try {
                for (int s = 0; s < sets; s++) ts.add((ClTensor) b.allocate(1, COUNT));
                // the kernel's first object, bound to set 0, is the least recently used when set 16 arrives
                for (int s = 0; s < sets; s++) launch(sgd, ts.get(s));
                assertEquals(ClKernel.BOUND_LIMIT, sgd.kernelObjects(), "never more objects than the limit");
                for (int s : new int[]{sets - 1, 1, 2, sets - 1}) {
                    long before = sgd.argumentCounts()[1];
                    launch(sgd, ts.get(s));
                    assertEquals(before, sgd.argumentCounts()[1], "set " + s + " kept its object: nothing set");
                }
                long before = sgd.argumentCounts()[1];
                launch(sgd, ts.get(0));
                assertEquals(before + 2, sgd.argumentCounts()[1], "set 0 was rebound: its two buffers set again");
                b.finish();
            } finally {
                for (ClTensor t : ts) t.close();
            }
        }
    }

    private static void launch(ClKernel sgd, ClTensor p) {
        sgd.call().floats("p", p).floats("g", p).i32("count", COUNT).f32("lr", 0f).f32("wd", 0f).runItems(COUNT);
    }

    @Test
    void aVerifiedKernelStillRefusesALaunchWithTooFewOrTooManyArguments() {
        try (OpenClBackend b = OpenClDevices.backend(); ClTensor p = (ClTensor) b.allocate(1, COUNT)) {
            ClKernel sgd = b.kernel("sgd_step");
            launch(sgd, p);
            IllegalStateException few = assertThrows(IllegalStateException.class,
                    () -> sgd.call().floats("p", p).floats("g", p).i32("count", COUNT).f32("lr", 0f).runItems(COUNT));
            assertTrue(few.getMessage().contains("sgd_step takes 5 arguments, the launch set 4"), few.getMessage());
            IllegalStateException many = assertThrows(IllegalStateException.class,
                    () -> sgd.call().floats("p", p).floats("g", p).i32("count", COUNT).f32("lr", 0f).f32("wd", 0f).f32("extra", 0f));
            assertTrue(many.getMessage().contains("sgd_step takes 5 arguments, the launch passes more"), many.getMessage());
            IllegalStateException moreBuffers = assertThrows(IllegalStateException.class,
                    () -> sgd.call().floats("p", p).floats("g", p).i32("count", COUNT).f32("lr", 0f).f32("wd", 0f).floats("extra", p));
            assertTrue(moreBuffers.getMessage().contains("sgd_step takes 5 arguments, the launch passes more"), moreBuffers.getMessage());
            launch(sgd, p);
            b.finish();
        }
    }

    @Test
    void aRepeatedLaunchSetsNothingAndAChangedScalarOnlyItself() {
        try (OpenClBackend b = OpenClDevices.backend()) {
            ClKernel sgd = b.kernel("sgd_step");
            try (ClTensor p = (ClTensor) b.allocate(1, COUNT); ClTensor g = (ClTensor) b.allocate(1, COUNT); ClTensor q = (ClTensor) b.allocate(1, COUNT)) {
                long[] before = sgd.argumentCounts();
                sgd.call().floats("p", p).floats("g", g).i32("count", COUNT).f32("lr", 0.1f).f32("wd", 0f).runItems(COUNT);
                long[] first = sgd.argumentCounts();
                assertEquals(1, first[0] - before[0]);
                sgd.call().floats("p", p).floats("g", g).i32("count", COUNT).f32("lr", 0.1f).f32("wd", 0f).runItems(COUNT);
                assertEquals(first[1], sgd.argumentCounts()[1], "the same launch again sets no argument");
                sgd.call().floats("p", p).floats("g", g).i32("count", COUNT).f32("lr", 0.2f).f32("wd", 0f).runItems(COUNT);
                assertEquals(first[1] + 1, sgd.argumentCounts()[1], "a new learning rate sets that argument alone");
                sgd.call().floats("p", q).floats("g", g).i32("count", COUNT).f32("lr", 0.2f).f32("wd", 0f).runItems(COUNT);
                long[] other = sgd.argumentCounts();
                assertEquals(first[1] + 1 + 5, other[1], "a new buffer set starts a kernel object of its own, all arguments set");
                sgd.call().floats("p", p).floats("g", g).i32("count", COUNT).f32("lr", 0.2f).f32("wd", 0f).runItems(COUNT);
                assertEquals(other[1], sgd.argumentCounts()[1], "back to the first buffers: their object still holds every argument");
                b.finish();
            }
        }
    }
}
