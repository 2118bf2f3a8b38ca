package dev.clprop.device.opencl;

import org.jocl.CL;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;

/**
 * A context on one device and its in-order command queue, with profiling enabled from the start.
 * A sub-device's handle belongs to its context and is released with it.
 */
final class ClContext implements AutoCloseable {
    /**
     * The pattern of clEnqueueFillBuffer that zeroes a buffer: one float 0 in direct memory, made once and
     * shared by every fill (the specification lets a driver forget the pattern once the call returns).
     */
    static final org.jocl.Pointer ZERO_PATTERN = org.jocl.Pointer.to(java.nio.ByteBuffer.allocateDirect(4).order(java.nio.ByteOrder.nativeOrder()));

    final DeviceInfo device;
    final cl_context context;
    final cl_command_queue queue;
    /** Work-group size of 1-D launches over items (rows, elements). */
    final long groupSize1d;
    /** Work-group shape (columns, rows) of 2-D launches over blocks of a matrix. */
    final long[] groupSize2d;
    /** Sub-buffers must start at a multiple of this many bytes (CL_DEVICE_MEM_BASE_ADDR_ALIGN). */
    final long subBufferAlignBytes;
    private boolean closed;

    @SuppressWarnings("deprecation") // clCreateCommandQueue is the OpenCL 1.2 call, which every driver has
    ClContext(DeviceInfo device) {
        this.device = device;
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL.CL_CONTEXT_PLATFORM, device.platform());
        cl_context c = null;
        cl_command_queue q;
        try {
            c = CL.clCreateContext(props, 1, new cl_device_id[]{device.device()}, null, null, null);
            q = CL.clCreateCommandQueue(c, device.device(), CL.CL_QUEUE_PROFILING_ENABLE, null);
        } catch (RuntimeException e) {
            if (c != null) CL.clReleaseContext(c);
            if (device.isSubDevice()) CL.clReleaseDevice(device.device());
            throw e;
        }
        context = c;
        queue = q;
        // Fixed sizes, so each kernel is compiled once (PoCL builds one binary per work-group size:
        // 116 of them, 11 s, on the default run's first start). On PoCL, 1024 × 1 and 16 × 4 matched
        // the driver's own choices within noise in `bench --only training` (batches 1-512).
        long max = Math.max(1, device.maxWorkGroupSize());
        groupSize1d = Math.min(max, device.isCpu() ? 1024 : 256);
        groupSize2d = device.isCpu() ? new long[]{16, 4} : new long[]{16, 16};
        subBufferAlignBytes = Math.max(4, OpenCl.deviceInt(device.device(), CL.CL_DEVICE_MEM_BASE_ADDR_ALIGN) / 8);
    }

    @Override
    public void close() {
        if (closed) return; // a second release of the same handles would be a use after free in the driver
        closed = true;
        CL.clReleaseCommandQueue(queue);
        CL.clReleaseContext(context);
        if (device.isSubDevice()) CL.clReleaseDevice(device.device());
    }
}
