pub use noether_kernels as kernels;
