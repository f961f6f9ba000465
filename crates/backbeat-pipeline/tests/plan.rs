//! Graph validation and run planning on a graph of three levels with siblings.
