package dev.clprop.optim;

import dev.clprop.error.InvalidSettingException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Learning-rate schedules by PyTorch's formulas, epoch e and step t counting from 1. */
class ScheduleTest {
    static float lr(String s, int epoch, int epochs, long step) {
        return Schedule.parse(s).learningRate(0.1f, epoch, epochs, step);
    }

    @Test
    void stepLr() {
        assertEquals(0.1f, lr("step:2:0.5", 1, 10, 1));
        assertEquals(0.1f, lr("step:2:0.5", 2, 10, 50));
        assertEquals((float) (0.1f * 0.5), lr("step:2:0.5", 3, 10, 51));
        assertEquals((float) (0.1f * 0.25), lr("step:2:0.5", 5, 10, 99));
        assertEquals((float) (0.1f * Math.pow(0.1, 3)), lr("step:1:0.1", 4, 10, 1));
    }

    @Test
    void cosineAnnealing() {
        assertEquals(0.1f, lr("cosine", 1, 10, 1), "starts at the base rate");
        assertEquals((float) (0.1f * (1 + Math.cos(Math.PI * 5 / 10)) / 2), lr("cosine", 6, 10, 1), 1e-9);
        assertEquals((float) (0.1f * (1 + Math.cos(Math.PI * 9 / 10)) / 2), lr("cosine", 10, 10, 1), 1e-9, "T_max is the number of epochs");
        assertEquals((float) (0.1f * (1 + Math.cos(Math.PI * 3 / 4)) / 2), lr("cosine:4", 4, 10, 1), 1e-9, "or the T given");
        assertEquals(0f, lr("cosine:4", 5, 10, 1), 1e-9, "eta_min 0 at e−1 = T");
    }

    @Test
    void warmupRampsOverTheFirstSteps() {
        assertEquals((float) (0.1f * 1 / 4), lr("warmup:4", 1, 3, 1));
        assertEquals((float) (0.1f * 3 / 4), lr("warmup:4", 1, 3, 3));
        assertEquals(0.1f, lr("warmup:4", 1, 3, 4));
        assertEquals(0.1f, lr("warmup:4", 2, 3, 500));
        float c = (float) (0.1f * (1 + Math.cos(Math.PI * 1 / 3)) / 2);
        assertEquals(c, lr("warmup:100+cosine", 2, 3, 200), 1e-9, "after warmup, the cosine of the epoch");
        assertEquals((float) (0.1 * (1 + Math.cos(Math.PI / 3)) / 2 * 0.5), lr("warmup:100+cosine", 2, 3, 50), 1e-9, "during warmup, both");
        assertEquals((float) (0.1f * 0.5 * 0.5), lr("warmup:2+step:1:0.5", 2, 3, 1), 1e-9);
    }

    @Test
    void aConstantScheduleGivesTheBaseRateExactly() {
        for (float base : new float[]{0.1f, 1e-3f, 0.05f, 3e-7f}) {
            assertEquals(base, Schedule.CONSTANT.learningRate(base, 3, 10, 77), 0f);
        }
        assertTrue(Schedule.parse("constant").isConstant());
        assertTrue(!Schedule.parse("cosine").isConstant());
    }

    @Test
    void spellingsReadBack() {
        for (String s : new String[]{"constant", "step:2:0.5", "cosine", "cosine:7", "warmup:10", "warmup:10+cosine", "warmup:3+step:2:0.9"}) {
            assertEquals(s, Schedule.parse(s).spelling());
            assertEquals(Schedule.parse(s), Schedule.parse(Schedule.parse(s).spelling()));
        }
        assertEquals("step:2:0.5", Schedule.parse(" STEP:2:0.5 ").toString());
    }

    @Test
    void malformedSchedulesAreNamed() {
        for (String bad : new String[]{"step", "step:0:0.5", "step:2:x", "step:2:-1", "cosine:0", "cosine:x", "warmup:0", "warmup:x+cosine",
                "warmup:3+warmup:2", "linear", "", "step:2:0.5:1"}) {
            InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> Schedule.parse(bad), bad);
            assertEquals("schedule", e.setting());
        }
        assertTrue(assertThrows(InvalidSettingException.class, () -> Schedule.parse("linear")).getMessage()
                .contains("'linear' is malformed: expected constant, step:S:G, cosine, cosine:T or warmup:N"));
    }
}
