mod plan;
mod queue;
