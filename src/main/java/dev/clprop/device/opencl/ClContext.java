package dev.clprop.device.opencl;

import org.jocl.CL;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;

/** A context on one device and its in-order command queue, with profiling enabled from the start. */
final class ClContext implements AutoCloseable {
    final DeviceInfo device;
    final cl_context context;
    final cl_command_queue queue;

    @SuppressWarnings("deprecation") // clCreateCommandQueue is the OpenCL 1.2 call, which every driver has
    ClContext(DeviceInfo device) {
        this.device = device;
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL.CL_CONTEXT_PLATFORM, device.platform());
        context = CL.clCreateContext(props, 1, new cl_device_id[]{device.device()}, null, null, null);
        cl_command_queue q;
        try {
            q = CL.clCreateCommandQueue(context, device.device(), CL.CL_QUEUE_PROFILING_ENABLE, null);
        } catch (RuntimeException e) {
            CL.clReleaseContext(context);
            throw e;
        }
        queue = q;
    }

    @Override
    public void close() {
        CL.clReleaseCommandQueue(queue);
        CL.clReleaseContext(context);
    }
}
