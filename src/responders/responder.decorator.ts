import { applyDecorators, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';

export interface ResponderOptions {
  /** Unique across the app; startup fails on a duplicate. */
  name: string;
  /** Higher runs first; the built-in echo sits at -100 so anything else wins. Default 0. */
  priority?: number;
}

/** Marks the metadata the registry discovers. */
export const ResponderMetadata = DiscoveryService.createDecorator<ResponderOptions>();

/** Declares a class as a responder: list it in a module's providers and the registry finds it. */
export const Responder = (options: ResponderOptions) => applyDecorators(Injectable(), ResponderMetadata(options));
