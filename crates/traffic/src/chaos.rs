//! `obslab chaos`: switches the demo services' faults on and off over their `/chaos` endpoints.
