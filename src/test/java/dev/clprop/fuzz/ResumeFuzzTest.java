package dev.clprop.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.clprop.Trainer;
import dev.clprop.TrainingResult;
import dev.clprop.data.Dataset;
import dev.clprop.error.ClpropException;
import dev.clprop.io.Npz;
import dev.clprop.model.Architecture;
import dev.clprop.optim.Optimizer;
import dev.clprop.train.Cancellation;
import dev.clprop.train.EpochSummary;
import dev.clprop.train.TrainingListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resume from a checkpoint whose numbers the fuzzer changed: progress counters, seed, weights, optimizer
 * state and settings, one to four edits to a real checkpoint of a run on the same data (so the run gets
 * past the data check and its values reach the loop and the gather). Promise: a one-line ClpropException,
 * or a run that ends with finite weights. Seeds: ResumeFuzzTestInputs/resume/.
 */
class ResumeFuzzTest {
    static final Architecture ARCH = Architecture.parse("3,5:tanh,3:softmax");
    static final Dataset DATA;
    static final Map<String, Npz.Entry> BASE;
    static final Path FILE;

    static Trainer.Builder trainer() {
        return Trainer.builder(ARCH).optimizer(Optimizer.adam(0.05f)).batchSize(8).epochs(3).seed(5).device("cpu");
    }

    static {
        float[][] x = new float[48][3];
        int[] y = new int[48];
        for (int i = 0; i < 48; i++) {
            y[i] = i % 3;
            for (int j = 0; j < 3; j++) x[i][j] = (float) Math.sin(i * 0.7 + j) + y[i];
        }
        DATA = Dataset.classification(x, y);
        try {
            Path base = Files.createTempFile("clprop-fuzz-base", ".npz");
            FILE = Files.createTempFile("clprop-fuzz-resume", ".npz");
            base.toFile().deleteOnExit();
            FILE.toFile().deleteOnExit();
            Cancellation stop = new Cancellation();
            trainer().checkpoint(base).cancellation(stop).listener(new TrainingListener() {
                @Override
                public void onEpochEnd(EpochSummary s) {
                    stop.cancel();
                }
            }).build().fit(DATA);
            BASE = Npz.read(base);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void resume(FuzzedDataProvider in) {
        Map<String, Npz.Entry> e = new LinkedHashMap<>(BASE);
        List<String> names = new ArrayList<>(e.keySet());
        int edits = in.consumeInt(1, 4);
        for (int i = 0; i < edits; i++) {
            String name = names.get(in.consumeInt(0, names.size() - 1));
            Npz.Entry old = e.get(name);
            if (old.isInt()) {
                e.put(name, Npz.Entry.int64(in.consumeLong()));
            } else if (old.isFloat() && old.floats().length > 0) {
                float[] v = old.floats().clone();
                v[in.consumeInt(0, v.length - 1)] = in.consumeFloat();
                e.put(name, Npz.Entry.floats(v, old.shape()));
            } else if (old.isText()) {
                String s = in.consumeString(40);
                e.put(name, old.shape().length == 0 ? Npz.Entry.text(s) : Npz.Entry.texts(List.of(s)));
            }
        }
        Npz.write(FILE, e);
        try {
            TrainingResult r = trainer().build().resume(FILE, DATA);
            Findings.check(r.model().parameters().allFinite() || r.outcome() == dev.clprop.train.Outcome.DIVERGED, "a resumed run ended with non-finite weights");
        } catch (ClpropException x) {
            Findings.expected(x);
        }
    }
}
