package dev.clprop.cli;

import dev.clprop.Trainer;
import dev.clprop.error.InvalidSettingException;
import dev.clprop.model.Architecture;
import dev.clprop.settings.Setting;
import dev.clprop.settings.TrainingSettings;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The settings are listed once: the library's builder and the command line start from the same
 * defaults, every flag the list names is a real option, checkpoints key their settings by it, and a
 * bad value names its setting in both spellings.
 */
class SettingsContractTest {
    static final Architecture ARCH = Architecture.parse("4,8:tanh,3:softmax");

    @Test
    void theCommandLineAndTheBuilderShareTheirDefaults() {
        TrainCommand cli = new TrainCommand();
        TrainingSettings lib = Trainer.builder(ARCH).build().settings();
        assertEquals(TrainingSettings.DEFAULTS.epochs(), lib.epochs());
        assertEquals(lib.epochs(), cli.epochs);
        assertEquals(lib.batchSize(), cli.batch);
        assertEquals(lib.seed(), cli.seed);
        assertEquals(lib.optimizer().kind().spelling(), cli.optimizer);
        assertEquals(lib.earlyStopping(), cli.earlyStop);
        assertEquals(lib.clipNorm(), cli.clipNorm);
        // unset on the command line: the optimizer's own default (0.01 for adamw), as Optimizer.of gives the library
        assertNull(cli.weightDecay);
        assertEquals(lib.optimizer().weightDecay(), dev.clprop.optim.Optimizer.Kind.parse(cli.optimizer).defaultWeightDecay());
        assertEquals(lib.shuffle(), !cli.noShuffle);
    }

    @Test
    void everyFlagTheListNamesIsAnOptionOfTheCommandLine() {
        Set<String> options = new HashSet<>();
        for (CommandLine sub : new CommandLine(new Main()).getSubcommands().values()) {
            for (CommandLine.Model.OptionSpec o : sub.getCommandSpec().options()) options.addAll(java.util.List.of(o.names()));
        }
        for (Setting s : Setting.values()) {
            if (s.flag() == null) continue;
            String flag = s.flag().split(":")[0].trim();
            assertTrue(options.contains(flag), s + " names " + flag + ", which no command has");
        }
    }

    @Test
    void checkpointsKeyTheirSettingsByTheList() {
        Set<String> keys = new HashSet<>();
        for (Setting s : Setting.values()) keys.add(s.key());
        TrainingSettings t = Trainer.builder(ARCH).build().settings();
        for (String k : t.checkpointKeys(ARCH, "none", null, "rows").keySet()) assertTrue(keys.contains(k), k + " is not in Setting");
    }

    @Test
    void aBadValueNamesItsSettingInTheLibraryAndItsFlagOnTheCommandLine() {
        Object[][] cases = {
                {"batchSize", (Supplier<?>) () -> Trainer.builder(ARCH).batchSize(0)},
                {"epochs", (Supplier<?>) () -> Trainer.builder(ARCH).epochs(-1)},
                {"validationSplit", (Supplier<?>) () -> Trainer.builder(ARCH).validationSplit(1.0)},
                {"clipNorm", (Supplier<?>) () -> Trainer.builder(ARCH).clipNorm(Float.NaN)},
                {"classWeights", (Supplier<?>) () -> Trainer.builder(ARCH).classWeights(0f, 0f, 0f)},
                {"verifyEvery", (Supplier<?>) () -> Trainer.builder(ARCH).verifyEvery(-2)},
                {"earlyStopping", (Supplier<?>) () -> Trainer.builder(ARCH).earlyStopping(-1)}};
        for (Object[] c : cases) {
            InvalidSettingException e = assertThrows(InvalidSettingException.class, ((Supplier<?>) c[1])::get, (String) c[0]);
            assertEquals(c[0], e.setting());
            assertTrue(Main.message(e).startsWith(Setting.flags().get((String) c[0]) + " "), Main.message(e));
        }
        assertEquals("classWeights", assertThrows(InvalidSettingException.class,
                () -> Trainer.builder(ARCH).classWeights(1f, 2f).build()).setting(), "two weights for three classes");
        CliRunner r = CliRunner.run("train", "--epochs", "0");
        assertEquals(2, r.status());
        assertEquals("clprop: --epochs must be a positive integer, got 0", r.err().strip());
    }

    @Test
    void settingsAreValuesAndTheirClassWeightsEitherGivenOrBalanced() {
        TrainingSettings a = Trainer.builder(ARCH).classWeights(1f, 2f, 3f).build().settings();
        TrainingSettings b = Trainer.builder(ARCH).classWeights(1f, 2f, 3f).build().settings();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertTrue(!a.equals(Trainer.builder(ARCH).classWeights(1f, 2f, 4f).build().settings()));
        assertTrue(!a.equals(a.withEpochs(a.epochs() + 1)));
        TrainingSettings balanced = a.withBalancedClassWeights(true);
        assertEquals(null, balanced.classWeights());
        assertTrue(balanced.balancedClassWeights());
        assertEquals(3, a.withBalancedClassWeights(false).classWeights().length, "turning balanced off keeps given weights");
        assertEquals("loss", assertThrows(InvalidSettingException.class,
                () -> Trainer.builder(Architecture.parse("4,8:tanh,3:sigmoid")).loss(dev.clprop.loss.Loss.CROSS_ENTROPY).build()).setting(),
                "cross-entropy needs a softmax output");
    }
}
