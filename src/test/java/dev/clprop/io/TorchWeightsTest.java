package dev.clprop.io;

import dev.clprop.Model;
import dev.clprop.error.IncompatibleModelException;
import dev.clprop.loss.Loss;
import dev.clprop.model.Architecture;
import dev.clprop.model.Parameters;
import dev.clprop.model.TorchNames;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TorchWeightsTest {
    @TempDir
    Path dir;

    static final Architecture A = Architecture.parse("4,8:relu,dropout:0.2,6:tanh:nobias,5:linear,3:softmax");

    @Test
    void keysFollowTheModulesOfTheMatchingSequential() {
        assertEquals(Map.of("W1", "0.weight", "b1", "0.bias", "W2", "3.weight", "W3", "5.weight", "b3", "5.bias", "W4", "6.weight", "b4", "6.bias"),
                TorchNames.of(A));
        assertEquals(List.of("W1", "b1", "W2", "W3", "b3", "W4", "b4"), List.copyOf(TorchNames.of(A).keySet()), "in parameter order");
        assertEquals("nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 6, bias=False), nn.Tanh(), nn.Linear(6, 5), "
                + "nn.Linear(5, 3), nn.Softmax(dim=1))", TorchNames.sequential(A));
    }

    @Test
    void torchWeightsRoundTripAndLoadAsInitialWeights() {
        Model m = Model.of(Parameters.initialise(A, 5), Loss.CROSS_ENTROPY, null, null);
        Path f = dir.resolve("t.npz");
        m.saveTorchWeights(f);
        Map<String, Npz.Entry> e = Npz.read(f);
        assertEquals(TorchNames.of(A).values().stream().sorted().toList(), e.keySet().stream().sorted().toList(), "only the state_dict keys");
        assertArrayEquals(new int[]{6, 8}, e.get("3.weight").shape());
        Model back = Model.loadWeights(f, A);
        assertTrue(back.parameters().bitwiseEquals(m.parameters()));
    }

    @Test
    void aStateDictSavedWithNumpyInFloat64Loads() {
        Architecture a = Architecture.parse("2,3:relu,1:sigmoid");
        Map<String, Npz.Entry> sd = new LinkedHashMap<>();
        sd.put("0.weight", Npz.Entry.floats(new float[]{1, 2, 3, 4, 5, 6}, 3, 2));
        sd.put("0.bias", Npz.Entry.floats(new float[]{.1f, .2f, .3f}, 3));
        sd.put("2.weight", Npz.Entry.floats(new float[]{7, 8, 9}, 1, 3));
        sd.put("2.bias", Npz.Entry.floats(new float[]{-1}, 1));
        Path f = dir.resolve("sd.npz");
        Npz.write(f, sd);
        Parameters p = Model.loadWeights(f, a).parameters();
        assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, p.get("W1"));
        assertArrayEquals(new float[]{7, 8, 9}, p.get("W2"));
        assertArrayEquals(new float[]{-1}, p.get("b2"));

        sd.remove("2.bias");
        sd.put("4.weight", Npz.Entry.floats(new float[]{1}, 1, 1));
        Npz.write(f, sd);
        String msg = assertThrows(IncompatibleModelException.class, () -> Model.loadWeights(f, a)).getMessage();
        assertEquals(f + ": missing array 2.bias (b2) of shape (1,) for 2,3:relu,1:sigmoid, whose PyTorch form is "
                + "nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid())", msg);
    }
}
