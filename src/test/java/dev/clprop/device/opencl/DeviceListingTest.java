package dev.clprop.device.opencl;

import dev.clprop.OpenClDevices;
import org.jocl.CL;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Asking a platform for its devices with a type mask that strict drivers (rusticl) accept. */
class DeviceListingTest {
    @Test
    void theTypeMaskHasOnlyTheSpecificationsBits() {
        // JOCL's CL_DEVICE_TYPE_ALL is sign-extended to 64 bits; rusticl refuses that mask outright
        assertEquals(-1L, CL.CL_DEVICE_TYPE_ALL, "JOCL changed CL_DEVICE_TYPE_ALL; see OpenCl.EVERY_DEVICE_TYPE");
        assertEquals(0, OpenCl.EVERY_DEVICE_TYPE >>> 32, Long.toHexString(OpenCl.EVERY_DEVICE_TYPE));
        for (long type : new long[]{CL.CL_DEVICE_TYPE_CPU, CL.CL_DEVICE_TYPE_GPU, CL.CL_DEVICE_TYPE_ACCELERATOR, CL.CL_DEVICE_TYPE_CUSTOM}) {
            assertEquals(type, OpenCl.EVERY_DEVICE_TYPE & type, Long.toHexString(type));
        }
    }

    @Test
    void typeNamesCoverEveryKind() {
        assertEquals("GPU", OpenCl.typeName(CL.CL_DEVICE_TYPE_GPU));
        assertEquals("CPU", OpenCl.typeName(CL.CL_DEVICE_TYPE_CPU));
        assertEquals("CUSTOM", OpenCl.typeName(CL.CL_DEVICE_TYPE_CUSTOM));
        assertEquals("CPU+ACCELERATOR", OpenCl.typeName(CL.CL_DEVICE_TYPE_CPU | CL.CL_DEVICE_TYPE_ACCELERATOR));
        assertEquals("OTHER", OpenCl.typeName(CL.CL_DEVICE_TYPE_DEFAULT));
    }

    @Test
    void theDeviceUnderTestIsListedWithItsFacts() {
        DeviceInfo d = OpenClDevices.device();
        assertTrue(OpenCl.devices().stream().anyMatch(x -> x.name().equals(d.name()) && x.platformName().equals(d.platformName())));
        assertFalse(d.name().isBlank());
        assertTrue(d.computeUnits() > 0 && d.globalMemory() > 0, d.describe());
    }
}
