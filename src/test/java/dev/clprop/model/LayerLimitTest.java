package dev.clprop.model;

import dev.clprop.Model;
import dev.clprop.error.InvalidSettingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every architecture that can be built can be saved and loaded back: a 10,000-layer SPEC once trained and then failed to load. */
class LayerLimitTest {
    @TempDir
    Path dir;

    static String spec(int layers) {
        StringBuilder sb = new StringBuilder("3");
        for (int i = 0; i < layers - 1; i++) sb.append(",2:tanh");
        return sb.append(",2:softmax").toString();
    }

    @Test
    void theLargestNetworkAllowedRoundTripsAndOneLayerMoreIsRefused() {
        Architecture a = Architecture.parse(spec(Architecture.MAX_LAYERS));
        Path f = dir.resolve("deep.npz");
        Model.of(Parameters.initialise(a, 1), null, null, null).save(f);
        assertEquals(a, Model.load(f).architecture());
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> Architecture.parse(spec(10_000)));
        assertTrue(e.getMessage().contains("has 10000 layers, more than the limit of 1000"), e.getMessage());
    }
}
