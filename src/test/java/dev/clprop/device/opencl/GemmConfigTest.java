package dev.clprop.device.opencl;

import dev.clprop.device.GemmFamily;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The text form of GEMM configurations, as the tuning cache stores them. */
class GemmConfigTest {
    @Test
    void defaultsSurviveTheirTextForm() {
        for (GemmConfig g : new GemmConfig[]{GemmConfig.VECTOR_DEFAULT, GemmConfig.VECTOR_AVX512, GemmConfig.TILED_DEFAULT, GemmConfig.TILED_SMALL}) {
            assertEquals(g, GemmConfig.parse(g.toString()));
        }
        assertEquals("vector:8,4,2,6,2,512", GemmConfig.VECTOR_DEFAULT.toString());
    }

    @Test
    void aCacheEntryFromBeforePackingPacksFromTheDefaultK() {
        assertEquals(new GemmConfig.Vector(8, 4, 2, 6, 2, GemmConfig.Vector.PACK_FROM_K), GemmConfig.parse("vector:8,4,2,6,2"));
        assertEquals(new GemmConfig.Vector(16, 8, 2, 8, 2, 64), GemmConfig.parse(" Vector:16, 8, 2, 8, 2, 64 "));
    }

    @Test
    void wrongCountsAndNamesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("vector:8,4,2,6"));
        assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("tiled:64,64,16,4,4,512"));
        assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("blocked:1,2,3,4,5"));
        assertThrows(IllegalArgumentException.class, () -> GemmConfig.parse("vector 8,4,2,6,2"));
    }

    @Test
    void packingStartsAtItsThreshold() {
        GemmConfig.Vector g = new GemmConfig.Vector(8, 4, 2, 6, 2, 512);
        assertFalse(g.packs(511));
        assertTrue(g.packs(512));
        assertFalse(g.packsForward(1023));
        assertTrue(g.packsForward(1024));
        assertFalse(new GemmConfig.Vector(8, 4, 2, 6, 2, 0).validFor(null), "a threshold below 1 is not a configuration");
        assertTrue(new GemmConfig.Vector(4, 1, 1, 1, 1, 1).validFor(null), "the smallest blocks");
        for (GemmConfig.Vector bad : new GemmConfig.Vector[]{new GemmConfig.Vector(12, 4, 2, 6, 2, 512), new GemmConfig.Vector(8, 0, 2, 6, 2, 512),
                new GemmConfig.Vector(8, 4, 0, 6, 2, 512), new GemmConfig.Vector(8, 4, 2, 0, 2, 512), new GemmConfig.Vector(8, 4, 2, 6, 0, 512)}) {
            assertFalse(bad.validFor(null), bad.toString());
        }
    }

    @Test
    void weightGradientsPackByTheSizeOfTheLayerInputAndNotForFewRows() {
        GemmConfig.Vector g = new GemmConfig.Vector(8, 4, 2, 6, 2, 512);
        // the standard MLP's layers (M outputs × N inputs over K = the batch)
        assertFalse(g.packsWeightGrad(256, 784, 32), "K·N = 25 k");
        assertTrue(g.packsWeightGrad(256, 784, 64), "K·N = 50 k");
        assertTrue(g.packsWeightGrad(256, 784, 128));
        assertFalse(g.packsWeightGrad(128, 256, 128), "K·N = 32 k");
        assertTrue(g.packsWeightGrad(128, 256, 384), "K·N = 96 k");
        assertTrue(g.packsWeightGrad(128, 256, 512));
        assertFalse(g.packsWeightGrad(10, 128, 512), "10 rows: copying B costs more than the product");
        assertFalse(g.packsWeightGrad(63, 4096, 4096));
        assertTrue(g.packsWeightGrad(64, 384, 128), "K·N at the threshold, 96·512");
        assertFalse(g.packsWeightGrad(64, 383, 128));
        assertFalse(g.packsWeightGrad(63, 384, 128));
        assertTrue(g.packsWeightGrad(64, 1, 512), "K at packFromK");
        GemmConfig.Vector always = new GemmConfig.Vector(8, 4, 2, 6, 2, 1), never = new GemmConfig.Vector(8, 4, 2, 6, 2, Integer.MAX_VALUE);
        assertTrue(always.packsWeightGrad(1, 1, 1), "packFromK 1 packs every product");
        assertFalse(never.packsWeightGrad(1 << 20, 1 << 20, 1 << 20));
    }

    static DeviceInfo fake(String name, String type, long maxWorkGroup) {
        return new DeviceInfo(0, null, null, "test", name, "test", type, 4, 1L << 30, 1L << 28, 32 * 1024, maxWorkGroup, "OpenCL 3.0", "1");
    }

    @Test
    void autoTakesTheTunedConfigurationElseTheDevicesDefault() {
        DeviceInfo cpu = fake("pthread-haswell", "CPU", 4096), gpu = fake("some GPU", "GPU", 1024);
        GemmConfig tuned = new GemmConfig.Vector(8, 2, 2, 4, 1, 64);
        assertEquals(tuned, GemmConfig.choose(cpu, tuned, GemmFamily.AUTO));
        assertEquals(GemmConfig.VECTOR_DEFAULT, GemmConfig.choose(cpu, null, GemmFamily.AUTO));
        assertEquals(GemmConfig.VECTOR_AVX512, GemmConfig.choose(fake("pthread-skylake-avx512", "CPU", 4096), null, GemmFamily.AUTO));
        assertEquals(GemmConfig.TILED_DEFAULT, GemmConfig.choose(gpu, null, GemmFamily.AUTO));
    }

    @Test
    void aForcedFamilyKeepsATunedConfigurationOfItsOwnFamilyOnly() {
        DeviceInfo cpu = fake("pthread-haswell", "CPU", 4096), small = fake("small GPU", "GPU", 128);
        GemmConfig tunedVector = new GemmConfig.Vector(8, 2, 2, 4, 1, 64), tunedTiled = new GemmConfig.Tiled(32, 64, 8, 4, 4);
        assertEquals(GemmConfig.TILED_DEFAULT, GemmConfig.choose(cpu, tunedVector, GemmFamily.TILED), "the GPU kernels on a CPU");
        assertEquals(tunedTiled, GemmConfig.choose(cpu, tunedTiled, GemmFamily.TILED));
        assertEquals(tunedVector, GemmConfig.choose(cpu, tunedVector, GemmFamily.VECTOR));
        assertEquals(GemmConfig.VECTOR_DEFAULT, GemmConfig.choose(small, tunedTiled, GemmFamily.VECTOR));
        assertEquals(GemmConfig.TILED_SMALL, GemmConfig.choose(small, null, GemmFamily.TILED), "256 work-items do not fit a 128 work-group");
    }

    @Test
    void familiesParseInAnyCaseAndNothingElse() {
        assertEquals(GemmFamily.TILED, GemmFamily.parse(" Tiled "));
        assertEquals(GemmFamily.VECTOR, GemmFamily.parse("vector"));
        assertEquals(GemmFamily.AUTO, GemmFamily.parse("AUTO"));
        var e = assertThrows(dev.clprop.error.InvalidSettingException.class, () -> GemmFamily.parse("blocked"));
        assertEquals("gemm", e.setting());
        assertThrows(dev.clprop.error.InvalidSettingException.class, () -> GemmFamily.parse(null));
    }

    @Test
    void blocksThatWouldOverflowAWorkItemAreRefusedAndEveryTunerCandidateFits() {
        DeviceInfo cpu = fake("pthread-haswell", "CPU", 4096), gpu = fake("some GPU", "GPU", 1024);
        assertFalse(GemmConfig.parse("vector:16,64,64,64,64,1").validFor(cpu), "64×64 float16 accumulators crashed PoCL");
        assertFalse(GemmConfig.parse("vector:16,16,16,8,8,512").validFor(cpu), "4,096 floats per work-item");
        assertTrue(GemmConfig.parse("vector:16,8,8,8,8,512").validFor(cpu), "1,024 floats is the bound");
        assertFalse(GemmConfig.parse("vector:8,4,2,6,2,0").validFor(cpu));
        assertTrue(GemmConfig.parse("vector:8,4,2,6,2,2147483647").validFor(cpu), "never packs");
        assertFalse(GemmConfig.parse("vector:8,-4,2,6,2,512").validFor(cpu));
        assertFalse(GemmConfig.parse("vector:8,17,1,6,2,512").validFor(cpu));
        assertFalse(GemmConfig.parse("tiled:64,64,16,0,4").validFor(gpu));
        assertFalse(GemmConfig.parse("tiled:64,64,0,4,4").validFor(gpu));
        assertFalse(GemmConfig.parse("tiled:512,512,16,32,32").validFor(fake("huge", "GPU", 1 << 20)));
        for (DeviceInfo d : new DeviceInfo[]{cpu, gpu}) {
            List<GemmConfig> all = new java.util.ArrayList<>(dev.clprop.bench.Tuner.candidates(d, true));
            assertTrue(all.stream().filter(g -> g instanceof GemmConfig.Vector).count() == 50, "every vector candidate of the tuner is in bounds: " + all);
        }
    }
}
