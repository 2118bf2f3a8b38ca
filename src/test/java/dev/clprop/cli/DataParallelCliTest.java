package dev.clprop.cli;

import dev.clprop.ClpropTestBase;
import dev.clprop.OpenClDevices;
import dev.clprop.device.opencl.OpenCl;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code train --device opencl:N/2} as a user runs it: the digits model it trains is the one-device model. */
class DataParallelCliTest extends ClpropTestBase {
    static String figure(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        assertTrue(m.find(), regex + " not in: " + out);
        return m.group(1);
    }

    @Test
    void twoSubDevicesTrainTheDigitsModelOfOneDevice() {
        var d = OpenClDevices.device();
        assumeTrue("true".equalsIgnoreCase(System.getenv("CI")) || OpenCl.maxSubDevices(d) >= 2 && d.computeUnits() >= 2,
                d.describe() + " cannot be split into 2 sub-devices");
        CliRunner one = CliRunner.run("train", "--epochs", "3", "--device", "opencl:" + d.index());
        CliRunner two = CliRunner.run("train", "--epochs", "3", "--device", "opencl:" + d.index() + "/2");
        assertEquals(0, one.status(), one.err());
        assertEquals(0, two.status(), two.err());
        assertTrue(two.out().contains("part 1/2") && two.out().contains("part 2/2"), two.out());
        assertTrue(two.out().contains("data-parallel training on 2 devices: "), two.out());
        String acc = "test accuracy ([0-9.]+)%";
        double a1 = Double.parseDouble(figure(one.out(), acc)), a2 = Double.parseDouble(figure(two.out(), acc));
        assertTrue(a1 > 90, "the digits model learns: " + a1);
        assertEquals(a1, a2, 0.3, "test accuracy on one device and on two sub-devices"); // at most one of 359 rows
        String loss = "epoch 3/3  train loss ([0-9.]+)";
        assertEquals(Double.parseDouble(figure(one.out(), loss)), Double.parseDouble(figure(two.out(), loss)), 1e-4);
    }

    @Test
    void aSplitTheDeviceCannotMakeIsOneLineAndExitTwo() {
        var d = OpenClDevices.device();
        CliRunner r = CliRunner.run("train", "--epochs", "1", "--device", "opencl:" + d.index() + "/4096");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("clprop: --device opencl:" + d.index() + "/4096: ") && r.err().strip().lines().count() == 1, r.err());
    }
}
