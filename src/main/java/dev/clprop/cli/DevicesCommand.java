package dev.clprop.cli;

import dev.clprop.Device;
import dev.clprop.DeviceDescription;
import dev.clprop.error.OpenClUnavailableException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "Lists OpenCL platforms and devices (use the index with --device opencl:N). The EJML CPU path (--device cpu) is always available.")
public final class DevicesCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        List<DeviceDescription> devices;
        try {
            devices = Device.openClDevices();
        } catch (OpenClUnavailableException e) {
            out.println("no OpenCL devices: " + e.getMessage());
            out.println("cpu       ejml (CPU reference path), always available");
            return;
        }
        out.printf(Locale.ROOT, "%-9s %-40s %-24s %-5s %4s %10s  %s%n", "index", "name", "vendor", "type", "CUs", "memory", "OpenCL (platform)");
        for (DeviceDescription d : devices) {
            out.printf(Locale.ROOT, "%-9s %-40s %-24s %-5s %4d %7.1f GiB  %s (%s)%n", d.id(), trim(d.name(), 40), trim(d.vendor(), 24),
                    d.type(), d.computeUnits(), d.globalMemoryBytes() / (double) (1L << 30), d.openClVersion(), d.platform());
        }
        out.println("cpu       ejml (CPU reference path), always available");
        for (DeviceDescription d : devices) {
            if (d.maxSubDevices() >= 2) {
                out.printf(Locale.ROOT, "%s splits into up to %d sub-devices: --device %s/2 trains data-parallel on two of them%n",
                        d.id(), d.maxSubDevices(), d.id());
            }
        }
    }

    static String trim(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
