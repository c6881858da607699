export * from './infrastructure';
export * from './settle';
export * from './demo-report';
