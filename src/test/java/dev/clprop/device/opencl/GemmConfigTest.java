package dev.clprop.device.opencl;

import org.junit.jupiter.api.Test;

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
    }
}
